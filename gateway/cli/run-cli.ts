import { parseArgs } from "node:util";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { loadConfig, type GatewayConfig } from "../config";
import { openDb, type DbHandle } from "../../drizzle/client";
import { runMigrations } from "../../drizzle/migrate";
import { createSecretBox } from "../../core/crypto/secret-box";
import { addSshPublicKey, listSshPublicKeys, removeSshPublicKey } from "../../core/identity/ssh-public-keys";
import { grantAccess, revokeAccess } from "../../core/access/grant-access";
import { issueKey, parseTtl, revokeKeys } from "../../core/identity/manage-keys";
import { getSession, listAudit, listSessions } from "../../core/audit/read-records";
import { exportAsciicast } from "../../core/recordings/export-asciicast";
import { publish } from "../../core/bus/event-bus";
import { applyPolicy, showPolicy } from "../../core/policy/manage-policies";
import { runUsersCommand, USERS_USAGE } from "./users-command";
import { REVIEWS_USAGE, runReviewsCommand } from "./reviews-command";
import { ACCESS_USAGE, runAccessCommand } from "./access-command";
import { MASKING_USAGE, runMaskingCommand } from "./masking-command";
import { AUDIT_VERIFY_USAGE, runAuditVerify } from "./audit-verify-command";
import { auditedCli } from "./cli-audit";
import { addConnectionCommand, CONNECTION_FLAGS, CONNECTIONS_USAGE, listConnectionsCommand } from "./connections-command";
import { UsageError } from "./usage-error";
import { KUBECONFIG_USAGE, kubeconfigCommand } from "./kubeconfig-command";
import { MCP_TOOLS_USAGE, runMcpToolsCommand } from "./mcp-tools-command";
import { BUDGET_FLAGS, BUDGETS_USAGE, runBudgetsCommand } from "./budgets-command";
import { runScimCommand, SCIM_USAGE } from "./scim-command";
import { CONNECTORS_USAGE, routeConnectionCommand, runConnectorProcess, runConnectorsCommand } from "./connectors-command";

const USAGE = `usage: gatehouse <command>

  migrate                                              apply database migrations
${CONNECTIONS_USAGE}
${KUBECONFIG_USAGE}
  grant <group> <connection>                           let members of a group use a connection
  ungrant <group> <connection>                         take that back
  keys issue <identity> --groups g1,g2 [--ttl 1h]      print one new key, alone on stdout
  keys revoke <identity>                               revoke its keys; its live sessions end
  ssh-keys add <identity> -f key.pub [--name n]        register an SSH public key: ssh with it instead of a token
  ssh-keys list <identity> [--json] / ssh-keys remove <SHA256:...>
  sessions list --json                                 one JSON object a line
  sessions export <id> --format asciicast              an asciicast v2 file on stdout
  sessions kill <id>                                   end a live session
  policies apply <connection> -f policy.json           set a connection's guardrail policy (validated)
  policies show <connection>                           print it as JSON
${MASKING_USAGE}
${MCP_TOOLS_USAGE}
${BUDGETS_USAGE}
  audit list --json [--session ID]                     audit events, one JSON object a line, oldest first
${AUDIT_VERIFY_USAGE}
${USERS_USAGE}
${SCIM_USAGE}
${CONNECTORS_USAGE}
${REVIEWS_USAGE}
${ACCESS_USAGE}

Uses DATABASE_URL, or the embedded database of a running \`npm start\`.`;

function connect(config: GatewayConfig, env: NodeJS.ProcessEnv): DbHandle {
  if (!env.DATABASE_URL && !existsSync(path.join(config.dataDir, ".s.PGSQL.5432"))) {
    throw new Error(`the embedded database in ${config.dataDir} is not running: start Gatehouse with \`npm start\` first, or set DATABASE_URL`);
  }
  return openDb(config.databaseUrl, { max: 2, applicationName: "gatehouse-cli" });
}

async function run(argv: string[], io: CliIo): Promise<void> {
  const out = io.out;
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      // Each connection type's own `connections add` flags (core/connections/types/).
      ...CONNECTION_FLAGS,
      ...BUDGET_FLAGS,
      type: { type: "string" },
      name: { type: "string" },
      groups: { type: "string" },
      ttl: { type: "string" },
      json: { type: "boolean" },
      file: { type: "string", short: "f" },
      format: { type: "string" },
      role: { type: "string" },
      "password-stdin": { type: "boolean" },
      as: { type: "string" },
      reason: { type: "string" },
      all: { type: "boolean" },
      identity: { type: "string" },
      for: { type: "string" },
      pending: { type: "boolean" },
      session: { type: "string" },
      gateway: { type: "string" },
      hash: { type: "string" },
      via: { type: "string" },
      direct: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  const [cmd, sub, ...rest] = positionals;
  if (!cmd || values.help) return out(USAGE);
  const config = loadConfig(io.env);
  if (cmd === "migrate") {
    if (!io.env.DATABASE_URL) connect(config, io.env); // only for its "not running" message
    await runMigrations(config.databaseUrl);
    return out("migrations applied");
  }
  const handle = connect(config, io.env);
  const db = handle.db;
  try {
    if (cmd === "access")
      return await runAccessCommand(db, sub, rest, { json: values.json, pending: values.pending, identity: values.identity, for: values.for, reason: values.reason, as: values.as }, out);
    if (cmd === "reviews") return await runReviewsCommand(db, sub, rest, { json: values.json, all: values.all, as: values.as, reason: values.reason }, out);
    if (cmd === "mcp-tools") return await runMcpToolsCommand(db, sub, rest, { json: values.json, hash: values.hash, as: values.as }, out);
    if (cmd === "scim") return await runScimCommand(db, sub, rest, { json: values.json }, out);
    if (cmd === "connectors") return await runConnectorsCommand(db, sub, rest, { json: values.json, ttl: values.ttl }, io, out);
    if (cmd === "connections" && sub === "route") return await routeConnectionCommand(db, rest[0], { via: values.via, direct: values.direct }, out);
    if (cmd === "budgets") return await runBudgetsCommand(db, sub, rest, values, out);
    if (cmd === "masking") return await runMaskingCommand(db, sub, rest, { file: values.file }, out, (m) => io.err(m));
    if (cmd === "kubeconfig")
      return await kubeconfigCommand(
        db,
        config,
        sub,
        { gateway: values.gateway, token: typeof (values as Record<string, unknown>).token === "string" ? ((values as Record<string, unknown>).token as string) : undefined },
        out,
      );
    if (cmd === "users") return await runUsersCommand(db, sub, rest, { role: values.role, json: values.json, passwordStdin: values["password-stdin"], groups: values.groups, stdin: io.stdin }, out);
    const key = `${cmd} ${sub ?? ""}`.trim();
    switch (cmd === "grant" || cmd === "ungrant" ? cmd : key) {
      case "connections add":
        await addConnectionCommand(db, () => createSecretBox(config.secretKey), rest[0], values, out);
        if (values.via) await routeConnectionCommand(db, rest[0], { via: values.via }, out);
        return;
      case "connections list":
        return await listConnectionsCommand(db, values.json, out);
      case "grant":
      case "ungrant": {
        const [group, connection] = [sub, rest[0]];
        if (!group || !connection) throw new UsageError(`${cmd} needs <group> <connection>`);
        if (cmd === "grant") return void (await grantAccess(db, group, connection), out(`granted ${group} -> ${connection}`));
        const r = await revokeAccess(db, group, connection);
        return out(r.removed ? `removed ${group} -> ${connection}` : "no such grant");
      }
      case "keys issue": {
        if (!rest[0]) throw new UsageError("keys issue needs an identity name");
        const groups = (values.groups ?? "")
          .split(",")
          .map((g) => g.trim())
          .filter(Boolean);
        const r = await issueKey(db, { identity: rest[0], groups, ttlMs: values.ttl ? parseTtl(values.ttl) : undefined });
        io.err(`key for ${rest[0]}${r.expiresAt ? `, valid until ${r.expiresAt.toISOString()}` : ""} (shown once):\n`);
        return out(r.key);
      }
      case "ssh-keys add": {
        if (!rest[0] || !values.file) throw new UsageError("ssh-keys add needs <identity> -f key.pub");
        const k = await addSshPublicKey(db, { identity: rest[0], publicKey: readFileSync(values.file, "utf8"), name: values.name });
        return out(`registered ${k.fingerprint} (${k.name}) for ${rest[0]}`);
      }
      case "ssh-keys list": {
        if (!rest[0]) throw new UsageError("ssh-keys list needs <identity>");
        for (const k of await listSshPublicKeys(db, rest[0])) out(values.json ? JSON.stringify(k) : `${k.fingerprint}\t${k.name}\t${k.lastUsedAt?.toISOString() ?? "never used"}`);
        return;
      }
      case "ssh-keys remove": {
        if (!rest[0]) throw new UsageError("ssh-keys remove needs the key's SHA256:... fingerprint");
        return out((await removeSshPublicKey(db, rest[0])) ? `removed ${rest[0]}` : "no such key");
      }
      case "keys revoke": {
        if (!rest[0]) throw new UsageError("keys revoke needs an identity name");
        const r = await revokeKeys(db, rest[0]);
        return out(`revoked ${r.revoked} key(s) of ${r.identity}; its live sessions are being ended`);
      }
      case "sessions list":
        for (const s of await listSessions(db)) out(values.json ? JSON.stringify(s) : `${s.id}\t${s.status}\t${s.identityName}\t${s.connectionName}\t${s.startedAt.toISOString()}`);
        return;
      case "sessions export":
        if (!rest[0]) throw new UsageError("sessions export needs a session id");
        if ((values.format ?? "asciicast") !== "asciicast") throw new UsageError("only --format asciicast is supported");
        return await exportAsciicast(db, rest[0], out);
      case "sessions kill": {
        if (!rest[0] || !(await getSession(db, rest[0]))) throw new UsageError("sessions kill needs the id of a session");
        await publish(db, "sessions.kill", { sessionId: rest[0], reason: "an administrator ended this session" });
        return out(`asked every gateway to end session ${rest[0]}`);
      }
      case "policies apply": {
        if (!rest[0] || !values.file) throw new UsageError("policies apply needs <connection> -f policy.json");
        let input: unknown;
        try {
          input = JSON.parse(readFileSync(values.file, "utf8"));
        } catch (e) {
          throw new UsageError(`cannot read ${values.file}: ${(e as Error).message}`);
        }
        const p = await applyPolicy(db, rest[0], input);
        return out(`policy of ${rest[0]} set: ${p.rules.length} rule(s), default ${p.defaultAction}`);
      }
      case "policies show": {
        if (!rest[0]) throw new UsageError("policies show needs <connection>");
        const shown = await showPolicy(db, rest[0]);
        if (shown?.problem)
          io.err(`policy of ${rest[0]}: ${shown.problem}; sessions on this connection are refused until it is corrected and applied again (gatehouse policies apply ${rest[0]} -f policy.json)\n`);
        return out(JSON.stringify(shown?.document ?? { defaultAction: "allow", rules: [], note: "no policy set" }, null, 2));
      }
      case "audit list":
        for await (const e of listAudit(db, { sessionId: values.session }))
          out(values.json ? JSON.stringify(e) : `${e.at.toISOString()}\t${e.identityName ?? "-"}\t${e.action}\t${e.outcome}\t${e.statement ?? e.message ?? ""}`);
        return;
      default:
        throw new UsageError(`unknown command "${positionals.join(" ")}"`);
    }
  } finally {
    await handle.close();
  }
}

/** Where a CLI run reads and writes: the process's own streams, or a test's buffers (e2e/support/in-process-cli.ts). */
export type CliIo = {
  env: NodeJS.ProcessEnv;
  /** One line of output (stdout). */
  out: (line: string) => void;
  /** Text for the person, not for pipes (stderr). */
  err: (text: string) => void;
  /** All of standard input, for --password-stdin. */
  stdin: () => Promise<string>;
};

/**
 * Runs one `gatehouse` command line and returns its exit status: 0, 1 for a failure (its message on
 * stderr), 64 for a usage error (with the usage), or `audit verify`'s verdict. Every change is
 * recorded as a cli.* audit event with the OS user and host (cli-audit.ts).
 */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  try {
    // `audit verify` parses flags of its own and answers with its verdict (audit-verify-command.ts).
    // `connector` runs the connector process: no database, flags of its own.
    if (argv[0] === "connector") return await runConnectorProcess(argv.slice(1), io);
    if (argv[0] === "audit" && argv[1] === "verify") return await runAuditVerify(argv, io).catch((err: Error) => (io.err(`gatehouse: ${err.message}\n`), 2));
    await auditedCli(argv, (a) => run(a, io), io.env);
    return 0;
  } catch (err) {
    // Drizzle wraps driver errors; the cause is the part a person can act on.
    const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : undefined;
    io.err(`gatehouse: ${cause ?? (err instanceof Error ? err.message : err)}\n`);
    if (err instanceof UsageError) io.err(`\n${USAGE}\n`);
    return err instanceof UsageError ? 64 : 1;
  }
}
