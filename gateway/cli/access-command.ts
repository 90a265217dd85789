import type { Db } from "../../drizzle/client";
import { decideAccessRequest, listAccessRequests, requestAccess, revokeTemporaryAccess } from "../../core/access/access-requests";
import { parseTtl } from "../../core/identity/manage-keys";
import { loadDecider } from "./decider";

export const ACCESS_USAGE = `  access request <connection> --identity <name> --for 1h --reason "..."
                                                       ask for time-bound access (approvers decide)
  access list [--json] [--pending]                     access requests, newest first
  access approve <id> --as <email> | access reject <id> --as <email> --reason "..."
  access revoke <id>                                   end approved access early; its live sessions end`;

type Opts = { json?: boolean; pending?: boolean; identity?: string; for?: string; reason?: string; as?: string };

export async function runAccessCommand(db: Db, sub: string | undefined, args: string[], opts: Opts, out: (line: string) => void) {
  switch (sub) {
    case "request": {
      if (!args[0] || !opts.identity || !opts.for) throw new Error("access request needs <connection> --identity <name> --for <duration, e.g. 1h>");
      const r = await requestAccess(db, { identityName: opts.identity, connectionName: args[0], durationSeconds: parseTtl(opts.for) / 1000, reason: opts.reason ?? "", requestedBy: "cli" });
      return out(`access request ${r.id}: ${r.identityName} -> ${r.connectionName} for ${opts.for}, waiting for an approver`);
    }
    case "list":
      for (const r of await listAccessRequests(db, { pendingOnly: opts.pending })) {
        out(opts.json ? JSON.stringify(r) : `${r.id}\t${r.status}${r.revokedAt ? " (revoked)" : ""}\t${r.identityName}\t${r.connectionName}\t${r.durationSeconds}s\t${r.reason}`);
      }
      return;
    case "approve":
    case "reject": {
      if (!args[0]) throw new Error(`access ${sub} needs <id> --as <approver e-mail>`);
      const r = await decideAccessRequest(db, { id: args[0], decision: sub, reason: opts.reason, decider: await loadDecider(db, opts.as) });
      return out(r.status === "approved" ? `approved: ${r.identityName} may use ${r.connectionName} until ${r.accessExpiresAt?.toISOString()}` : `rejected: ${r.decisionReason}`);
    }
    case "revoke": {
      if (!args[0]) throw new Error("access revoke needs <id>");
      const r = await revokeTemporaryAccess(db, args[0], "cli");
      return out(`revoked: ${r.identityName} no longer uses ${r.connectionName} through this request; its live sessions are being ended`);
    }
    default:
      throw new Error(`unknown access command "${sub ?? ""}"`);
  }
}
