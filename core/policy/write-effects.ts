import { blankClassification, type Classification } from "./classify-statement";

/** Writes of these kinds to a table as statements' classifications: what a view or a foreign key's action writes besides the statement. */
export const writeEffects = (events: readonly string[], table: string): Classification[] => events.map((e) => ({ ...blankClassification(e.toUpperCase(), ["write"]), tables: [table] }));
