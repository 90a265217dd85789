import { hostname, userInfo } from "node:os";
import type pg from "pg";
import { loadConfig } from "../config";
import { openDb } from "../../drizzle/client";
import { redactArgv, redactSecrets } from "../../core/audit/redact-secrets";
import { checkpointKey } from "../../core/audit/audit-chain";
import { appendChainedEvent, CLI_STREAM } from "../../core/audit/chained-append";

type Snapshot = (pool: pg.Pool) => Promise<unknown>;
type Change = { action: string; target: string | undefined; connectionName?: string; snapshot: Snapshot };

// Flags that take no value (every other --flag is followed by its value unless written --flag=value).
const BOOLEAN_FLAGS = new Set([
  "--direct",
  "--json",
  "--password-stdin",
  "--all",
  "--pending",
  "--help",
  "-h",
  "--allow-forwarding",
  "--trust-new-tools",
  "--insecure",
  "--allow-local-infile",
  "--everyone",
]);

function positionals(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith("-")) {
      if (!BOOLEAN_FLAGS.has(a) && !a.includes("=")) i++;
      continue;
    }
    out.push(a);
  }
  return out;
}

const flag = (argv: string[], name: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
};

const rows = (sql: string, params: unknown[]) => async (pool: pg.Pool) => (await pool.query(sql, params)).rows;
const row = (sql: string, params: unknown[]) => async (pool: pg.Pool) => (await pool.query(sql, params)).rows[0] ?? null;

const IDENTITY = (name: string) =>
  row(
    `select i.name, i.kind, i.disabled_at, array(select g.name from memberships m join groups g on g.id = m.group_id where m.identity_id = i.id order by g.name) as groups,
       array(select json_build_object('id', k.id, 'prefix', k.prefix, 'expires_at', k.expires_at, 'revoked_at', k.revoked_at) from keys k where k.identity_id = i.id order by k.created_at) as keys,
       array(select json_build_object('name', s.name, 'fingerprint', s.fingerprint) from ssh_public_keys s where s.identity_id = i.id order by s.fingerprint) as ssh_keys
     from identities i where i.name = $1`,
    [name],
  );

/** What a CLI command changes, and how to read that state before and after it; null for commands that only read. */
export function describeCliChange(argv: string[]): Change | null {
  const [cmd, sub, a] = positionals(argv);
  const key = ["grant", "ungrant"].includes(cmd) ? cmd : `${cmd} ${sub ?? ""}`.trim();
  const action = `cli.${key.replace(/ /g, ".")}`;
  switch (key) {
    case "connections add":
      return {
        action,
        target: a,
        connectionName: a,
        snapshot: row("select c.id, c.name, c.type, c.settings, k.name as connector from connections c left join connectors k on k.id = c.connector_id where c.name = $1", [a]),
      };
    case "grant":
    case "ungrant":
      return {
        action,
        target: `${sub} -> ${a}`,
        connectionName: a,
        snapshot: rows("select g.name as group from grants x join groups g on g.id = x.group_id join connections c on c.id = x.connection_id where c.name = $1 order by g.name", [a]),
      };
    case "keys issue":
    case "keys revoke":
    case "ssh-keys add":
      return { action, target: a, snapshot: IDENTITY(a) };
    case "ssh-keys remove":
      return { action, target: a, snapshot: row("select s.name, s.fingerprint, i.name as identity from ssh_public_keys s join identities i on i.id = s.identity_id where s.fingerprint = $1", [a]) };
    case "sessions kill":
      return { action, target: a, snapshot: row("select id, status, end_reason, identity_name, connection_name from sessions where id::text = $1", [a]) };
    case "policies apply":
      return { action, target: a, connectionName: a, snapshot: row("select p.policy from policies p join connections c on c.id = p.connection_id where c.name = $1", [a]) };
    case "masking apply":
      return { action, target: a, connectionName: a, snapshot: row("select m.rules from masking_rules m join connections c on c.id = m.connection_id where c.name = $1", [a]) };
    case "mcp-tools approve":
    case "mcp-tools revoke":
      return {
        action,
        target: positionals(argv)[3] ? `${a} ${positionals(argv)[3]}` : a,
        connectionName: a,
        snapshot: rows("select p.tool_name, p.seen_hash, p.approved_hash, p.approved_by from mcp_tool_pins p join connections c on c.id = p.connection_id where c.name = $1 order by p.tool_name", [a]),
      };
    case "scim token": {
      // `scim token issue|revoke <name>` (list only reads); the token itself is never stored or logged.
      const name = positionals(argv)[3];
      if (a !== "issue" && a !== "revoke") return null;
      return { action: `cli.scim.token.${a}`, target: name, snapshot: row("select name, prefix, created_at, created_by, revoked_at from scim_tokens where name = $1", [name]) };
    }
    case "connectors add":
    case "connectors token":
    case "connectors revoke":
    case "connectors remove":
      // The token itself is never stored or logged: the snapshot lists prefixes and states.
      return {
        action,
        target: a,
        snapshot: row(
          "select c.name, array(select json_build_object('prefix', t.prefix, 'expires_at', t.expires_at, 'revoked_at', t.revoked_at) from connector_tokens t where t.connector_id = c.id order by t.created_at) as tokens from connectors c where c.name = $1",
          [a],
        ),
      };
    case "connections route":
      return { action, target: a, connectionName: a, snapshot: row("select c.name, k.name as connector from connections c left join connectors k on k.id = c.connector_id where c.name = $1", [a]) };
    case "budgets add":
    case "budgets remove":
      return {
        action,
        target: a,
        snapshot: row("select name, subject_kind, subject, connection, max_rows, max_bytes, window_seconds, on_exceed, warn_percent from data_budgets where name = $1", [a]),
      };
    case "users add":
    case "users set-role":
    case "users disable":
      return { action, target: a, snapshot: row("select email, name, role, source, groups, identity_id, disabled_at from console_users where email = $1", [a]) };
    case "reviews approve":
    case "reviews reject":
      return { action, target: a, snapshot: row("select id, status, connection_name, identity_name, statement, approvals, decided_by, decision_reason from reviews where id::text = $1", [a]) };
    case "access request": {
      const identity = flag(argv, "identity");
      return {
        action,
        target: `${identity} -> ${a}`,
        connectionName: a,
        snapshot: rows("select id, identity_name, connection_name, duration_seconds, reason, status from access_requests where connection_name = $1 and identity_name = $2 order by created_at", [
          a,
          identity,
        ]),
      };
    }
    case "access approve":
    case "access reject":
    case "access revoke":
      return {
        action,
        target: a,
        snapshot: row("select id, identity_name, connection_name, status, decided_by, decision_reason, access_expires_at, revoked_at from access_requests where id::text = $1", [a]),
      };
    default:
      return null;
  }
}

function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? "unknown";
  }
}

/**
 * Runs a CLI command and, when it changes something, records a `cli.*` audit event: the OS user and
 * host, the command line with secrets redacted, the target, and its state before and after (secrets
 * redacted), with the outcome. A change that cannot be recorded makes the command fail.
 */
export async function auditedCli(argv: string[], run: (argv: string[]) => Promise<void>, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const change = describeCliChange(argv);
  if (!change || argv.includes("--help") || argv.includes("-h")) return run(argv);
  const config = loadConfig(env);
  const handle = openDb(config.databaseUrl, { max: 1, applicationName: "gatehouse-cli audit" });
  try {
    const before = await change.snapshot(handle.pool).catch(() => undefined);
    let failure: unknown;
    try {
      await run(argv);
    } catch (err) {
      failure = err;
    }
    const after = await change.snapshot(handle.pool).catch(() => undefined);
    const user = osUser();
    const host = hostname();
    const line = ["gatehouse", ...redactArgv(argv)].join(" ");
    const message = failure ? `${line}: ${failure instanceof Error ? failure.message : String(failure)}` : line;
    const recorded = appendChainedEvent(handle.pool, checkpointKey(config.secretKey), CLI_STREAM, {
      action: change.action,
      outcome: failure ? "error" : "ok",
      identityName: `${user}@${host}`,
      connectionName: change.connectionName ?? null,
      protocol: "cli",
      clientAddr: host,
      statement: line,
      message: message.slice(0, 2000),
      details: { osUser: user, host, pid: process.pid, target: change.target ?? null, before: redactSecrets(before ?? null), after: redactSecrets(after ?? null) },
    });
    // A command that failed reports its own failure, recorded or not; a change that cannot be recorded is a failure.
    await recorded.catch((err: Error) => {
      if (!failure) throw new Error(`the change was made, but its audit event could not be written: ${err.message}`);
    });
    if (failure) throw failure;
  } finally {
    await handle.close();
  }
}
