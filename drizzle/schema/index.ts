export * from "./identities";
export * from "./groups";
export * from "./keys";
export * from "./connections";
export * from "./sessions";
export * from "./audit-events";
export * from "./bus-events";
export * from "./policies";
