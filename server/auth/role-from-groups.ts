import type { ConsoleRole } from "../../core/users/console-users";

/** The highest console role the IdP groups give, or undefined when no mapped group matches. */
export function roleFromGroups(groups: readonly string[], mapping: Record<"admin" | "approver" | "auditor", string[]>): ConsoleRole | undefined {
  const has = (names: string[]) => names.some((g) => groups.includes(g));
  if (has(mapping.admin)) return "admin";
  if (has(mapping.approver)) return "approver";
  if (has(mapping.auditor)) return "auditor";
  return undefined;
}

/** The groups claim can be an array of names or one space/comma-separated string, depending on the IdP. */
export function readGroupsClaim(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((g): g is string => typeof g === "string");
  if (typeof value === "string") return value.split(/[\s,]+/).filter(Boolean);
  return [];
}

/** A SAML groups attribute: one group per AttributeValue (a single value is one group, spaces and all). */
export function readGroupsAttribute(value: unknown): string[] {
  const values = Array.isArray(value) ? value : [value];
  return values.filter((g): g is string => typeof g === "string" && g.trim() !== "").map((g) => g.trim());
}
