import { parseArgs } from "node:util";
import { hostname, userInfo } from "node:os";
import { loadConfig } from "../config";
import { openDb } from "../../drizzle/client";
import { checkpointKey } from "../../core/audit/audit-chain";
import { verifyAuditChain } from "../../core/audit/verify-chain";
import { appendChainedEvent, CLI_STREAM } from "../../core/audit/chained-append";

export const AUDIT_VERIFY_USAGE = `  audit verify [--from ISO] [--to ISO] [--json]        walk each instance's audit chain; exit 1 at the first gap, edit, reordering or cut tail`;

/**
 * `gatehouse audit verify`: checks the hash chain of every gateway instance's audit stream and its
 * signed checkpoints, prints what it walked and the first problem with its event ids, and records
 * the run as an `audit.verify` event (so the log shows when it last ran and what it found).
 */
export async function runAuditVerify(argv: string[], io: { env: NodeJS.ProcessEnv; out: (line: string) => void }): Promise<number> {
  const { values } = parseArgs({ args: argv.slice(2), options: { from: { type: "string" }, to: { type: "string" }, json: { type: "boolean" } } });
  const range = { from: parseDate(values.from, "--from"), to: parseDate(values.to, "--to") };
  const config = loadConfig(io.env);
  const handle = openDb(config.databaseUrl, { max: 1, applicationName: "gatehouse-cli" });
  try {
    const report = await verifyAuditChain(handle.pool, checkpointKey(config.secretKey), range);
    if (values.json) io.out(JSON.stringify(report));
    else {
      for (const s of report.streams) {
        const walked = s.firstSeq === null ? "no events" : `${s.events} event(s), seq ${s.firstSeq}..${s.lastSeq}`;
        io.out(`${s.instance}: ${walked}, ${s.checkpoints} checkpoint(s)${s.prunedUpTo ? `, deleted by retention up to seq ${s.prunedUpTo}` : ""}`);
      }
      if (report.unchained) io.out(`${report.unchained} event(s) outside any chain (written before console and CLI events were chained)`);
      io.out(report.ok ? `ok: the audit chain is intact (${Math.round(report.ms)} ms)` : `TAMPERED (${report.problem!.kind}): ${report.problem!.message}`);
    }
    const who = `${safeUser()}@${hostname()}`;
    await appendChainedEvent(handle.pool, checkpointKey(config.secretKey), CLI_STREAM, {
      action: "audit.verify",
      outcome: report.ok ? "ok" : "error",
      identityName: who,
      message: report.ok ? "the audit chain is intact" : report.problem!.message,
      details: { range: { from: range.from ?? null, to: range.to ?? null }, problem: report.problem ?? null, streams: report.streams.length, ms: Math.round(report.ms) },
    });
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
