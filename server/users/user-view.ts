import "server-only";
import { consoleUsers } from "../../drizzle/schema/index";

/** The columns the console shows and audits: never the password hash. */
export const userView = {
  id: consoleUsers.id,
  email: consoleUsers.email,
  name: consoleUsers.name,
  role: consoleUsers.role,
  source: consoleUsers.source,
  groups: consoleUsers.groups,
  identityId: consoleUsers.identityId,
  lastSignInAt: consoleUsers.lastSignInAt,
  disabledAt: consoleUsers.disabledAt,
  createdAt: consoleUsers.createdAt,
};
