import { parseArgs } from "node:util";
import { hostname, userInfo } from "node:os";
import { loadConfig } from "../config";
import { openDb } from "../../drizzle/client";
import { checkpointKey } from "../../core/audit/audit-chain";
import { verifyAuditChain } from "../../core/audit/verify-chain";

export const AUDIT_VERIFY_USAGE = `  audit verify [--from ISO] [--to ISO] [--json]        walk each instance's audit chain; exit 1 at the first gap, edit, reordering or cut tail`;

const isCommand = (argv: string[]) => argv[0] === "audit" && argv[1] === "verify";

/**
 * `gatehouse audit verify`: checks the hash chain of every gateway instance's audit stream and its
 * signed checkpoints, prints what it walked and the first problem with its event ids, and records
 * the run as an `audit.verify` event (so the log shows when it last ran and what it found).
 */
export async function runAuditVerify(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv.slice(2), options: { from: { type: "string" }, to: { type: "string" }, json: { type: "boolean" } } });
  const range = { from: parseDate(values.from, "--from"), to: parseDate(values.to, "--to") };
  const config = loadConfig();
  const handle = openDb(config.databaseUrl, { max: 1, applicationName: "gatehouse-cli" });
  try {
    const report = await verifyAuditChain(handle.pool, checkpointKey(config.secretKey), range);
    if (values.json) process.stdout.write(JSON.stringify(report) + "\n");
    else {
      for (const s of report.streams) {
        const walked = s.firstSeq === null ? "no events" : `${s.events} event(s), seq ${s.firstSeq}..${s.lastSeq}`;
        process.stdout.write(`${s.instance}: ${walked}, ${s.checkpoints} checkpoint(s)${s.prunedUpTo ? `, deleted by retention up to seq ${s.prunedUpTo}` : ""}\n`);
      }
      if (report.unchained) process.stdout.write(`${report.unchained} event(s) outside any chain (written by the console or the CLI)\n`);
      process.stdout.write(report.ok ? `ok: the audit chain is intact (${Math.round(report.ms)} ms)\n` : `TAMPERED (${report.problem!.kind}): ${report.problem!.message}\n`);
    }
    const who = `${safeUser()}@${hostname()}`;
    await handle.pool.query("insert into audit_events (action, outcome, identity_name, message, details) values ('audit.verify', $1, $2, $3, $4)", [
      report.ok ? "ok" : "error",
      who,
      report.ok ? "the audit chain is intact" : report.problem!.message,
      { range: { from: range.from ?? null, to: range.to ?? null }, problem: report.problem ?? null, streams: report.streams.length, ms: Math.round(report.ms) },
    ]);
    return report.ok ? 0 : 1;
  } finally {
    await handle.close();
  }
}

function parseDate(v: string | undefined, flag: string): Date | undefined {
  if (v === undefined) return undefined;
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) throw new Error(`${flag} needs a date or time (ISO 8601), not "${v}"`);
  return d;
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? "unknown";
  }
}

/** The dispatch main.ts makes before its own argument parsing: audit verify has flags of its own. */
export function auditVerifyDispatch(argv: string[]): Promise<void> | null {
  if (!isCommand(argv)) return null;
  return runAuditVerify(argv).then(
    (code) => process.exit(code),
    (err: Error) => {
      process.stderr.write(`gatehouse: ${err.message}\n`);
      process.exit(2);
    },
  );
}
