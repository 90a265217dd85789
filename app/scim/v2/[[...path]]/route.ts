import { checkpointKey } from "../../../../core/audit/audit-chain";
import { roleFromGroups } from "../../../../server/auth/role-from-groups";
import { getDb } from "../../../../server/db";
import { parseConsoleEnv } from "../../../../server/env";
import { handleScim } from "../../../../server/scim/handle-scim";
import { secretKey } from "../../../../server/secret-key";

export const dynamic = "force-dynamic";

/** SCIM 2.0 for the organisation's IdP (server/scim/handle-scim.ts); authenticated by a SCIM token, not a console session. */
function handle(req: Request): Promise<Response> {
  const mapping = parseConsoleEnv().roleGroups;
  return handleScim(req, { db: getDb(), auditKey: checkpointKey(secretKey()), roleFromGroups: (groups) => roleFromGroups(groups, mapping) });
}

export { handle as GET, handle as POST, handle as PUT, handle as PATCH, handle as DELETE };
