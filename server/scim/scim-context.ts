import type { Db } from "../../drizzle/client";
import type { RoleFromGroups } from "../../core/scim/scim-people";

/** What a SCIM request handler works with: the database, its own base URL, the role mapping and its audit. */
export type ScimContext = {
  db: Db;
  /** `<origin>/scim/v2`, for meta.location. */
  base: string;
  roleFromGroups: RoleFromGroups;
  audit: (e: { action: string; target: string; message: string; before?: unknown; after?: unknown }) => Promise<void>;
};
