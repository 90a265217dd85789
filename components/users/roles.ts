export const ROLES = ["admin", "approver", "auditor", "member"] as const;
export type Role = (typeof ROLES)[number];

/** One line per role, from SECTION_ROLES in server/auth/current-user.ts. */
export const ROLE_HINTS: Record<Role, string> = {
  admin: "Everything: connections, access, agents, users.",
  approver: "Approves held statements; reads guardrails.",
  auditor: "Reads sessions, recordings and the audit log.",
  member: "Signs in and asks for access; configures nothing.",
};
