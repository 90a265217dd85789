import { cliActor } from "./cli-actor";
import type { Db } from "../../drizzle/client";
import { issueScimToken, listScimTokens, revokeScimToken } from "../../core/scim/scim-tokens";
import { UsageError } from "./usage-error";

export const SCIM_USAGE = `  scim token issue <name>                              print a new SCIM bearer token for the IdP, alone on stdout (shown once)
  scim token revoke <name> / scim token list [--json]  withdraw one (the IdP's next request gets 401) / list them`;

export async function runScimCommand(db: Db, sub: string | undefined, args: string[], opts: { json?: boolean }, out: (line: string) => void) {
  const [verb, name] = args;
  if (sub !== "token") throw new UsageError(`unknown command "scim ${sub ?? ""}"`);
  switch (verb) {
    case "issue": {
      if (!name) throw new UsageError("scim token issue needs a name (e.g. okta)");
      return out((await issueScimToken(db, name, cliActor())).token);
    }
    case "revoke": {
      if (!name) throw new UsageError("scim token revoke needs its name");
      if (!(await revokeScimToken(db, name))) throw new Error(`no live SCIM token named "${name}"`);
      return out(`revoked SCIM token ${name}`);
    }
    case "list":
      for (const t of await listScimTokens(db))
        out(
          opts.json
            ? JSON.stringify(t)
            : `${t.name}\t${t.prefix}…\t${t.revokedAt ? `revoked ${t.revokedAt.toISOString()}` : "live"}\tlast used ${t.lastUsedAt?.toISOString() ?? "never"}\tby ${t.createdBy ?? "-"}`,
        );
      return;
    default:
      throw new UsageError("scim token needs issue, revoke or list");
  }
}
