import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hostname, userInfo } from "node:os";
import { writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { startTestGateway, type TestGateway } from "../support/gateway-harness";

// Changes made with the CLI are audit events like the console's: cli.<command>, the OS user and
// host, before and after, secrets redacted; commands that only read leave none.
let t: TestGateway;
let db: pg.Client;
const dir = mkdtempSync(path.join(tmpdir(), "gatehouse-cli-audit-"));
const who = `${userInfo().username}@${hostname()}`;

type Ev = { action: string; outcome: string; identity_name: string; connection_name: string | null; protocol: string; statement: string; message: string; details: Record<string, unknown> };
const events = async (action: string) => (await db.query<Ev>("select * from audit_events where action = $1 order by id", [action])).rows;

beforeAll(async () => {
  t = await startTestGateway();
  db = new pg.Client({ connectionString: t.env.DATABASE_URL });
  await db.connect();
});
afterAll(async () => {
  await db?.end();
  await t?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("[AUDIT][CLI] changes made with the CLI are audited", () => {
  it("connections, grants, keys, policies, masking, users and access: who, what, before and after, no secrets", async () => {
    const cli = async (...args: string[]) => {
      const r = await t.cli(...args);
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(0);
      return r.stdout;
    };
    await cli("connections", "add", "audited", "--type", "postgres", "--url", t.target.url().replace("app:secret@", "app:s3cr3t-pw@"));
    const [add] = await events("cli.connections.add");
    expect(add).toMatchObject({ outcome: "ok", identity_name: who, connection_name: "audited", protocol: "cli" });
    expect(add.details).toMatchObject({ osUser: userInfo().username, host: hostname(), target: "audited", before: null, after: { name: "audited", type: "postgres" } });
    expect(JSON.stringify(add)).not.toContain("s3cr3t-pw");
    expect(add.statement).toContain("app:[redacted]@");

    await cli("grant", "analysts", "audited");
    const [grant] = await events("cli.grant");
    expect(grant.details).toMatchObject({ target: "analysts -> audited", before: [], after: [{ group: "analysts" }] });

    const key = (await cli("keys", "issue", "agent-cli", "--groups", "analysts")).trim();
    const [issued] = await events("cli.keys.issue");
    expect(issued.details.before).toBeNull();
    expect(issued.details.after).toMatchObject({ name: "agent-cli", groups: ["analysts"], keys: [{ revoked_at: null }] });
    expect(JSON.stringify(issued)).not.toContain(key);
    await cli("keys", "revoke", "agent-cli");
    const [revoked] = await events("cli.keys.revoke");
    expect((revoked.details.after as { keys: Array<{ revoked_at: string | null }> }).keys[0].revoked_at).not.toBeNull();

    const policy = path.join(dir, "policy.json");
    writeFileSync(policy, JSON.stringify({ defaultAction: "allow", rules: [{ name: "no-drops", action: "deny", match: { kinds: ["DROP"] } }] }));
    await cli("policies", "apply", "audited", "-f", policy);
    const [applied] = await events("cli.policies.apply");
    expect(applied.details).toMatchObject({ before: null, after: { policy: { rules: [{ name: "no-drops" }] } } });

    const rules = path.join(dir, "rules.json");
    writeFileSync(rules, JSON.stringify({ columns: [{ column: "customers.email", style: "redact" }] }));
    await cli("masking", "apply", "audited", "-f", rules);
    expect((await events("cli.masking.apply"))[0].details).toMatchObject({ after: { rules: { columns: [{ column: "customers.email" }] } } });

    await cli("users", "add", "dpo@example.com", "--role", "auditor");
    const [user] = await events("cli.users.add");
    expect(user.details).toMatchObject({ before: null, after: { email: "dpo@example.com", role: "auditor" } });
    expect(JSON.stringify(user.details)).not.toMatch(/scrypt|password_hash/);
    await cli("users", "set-role", "dpo@example.com", "approver");
    expect((await events("cli.users.set-role"))[0].details).toMatchObject({ before: { role: "auditor" }, after: { role: "approver" } });

    await cli("access", "request", "audited", "--identity", "agent-cli", "--for", "1h", "--reason", "incident 42");
    expect((await events("cli.access.request"))[0].details).toMatchObject({ before: [], after: [{ identity_name: "agent-cli", status: "pending", reason: "incident 42" }] });

    // A refused change is recorded too, with its reason.
    const refused = await t.cli("grant", "analysts", "no-such-connection");
    expect(refused.code).not.toBe(0);
    const [failed] = (await events("cli.grant")).slice(-1);
    expect(failed.outcome).toBe("error");
    expect(failed.message).toContain("no-such-connection");

    // Reading leaves no event.
    const before = (await db.query("select count(*)::int as n from audit_events where action like 'cli.%'")).rows[0].n;
    await cli("connections", "list", "--json");
    await cli("policies", "show", "audited");
    expect((await db.query("select count(*)::int as n from audit_events where action like 'cli.%'")).rows[0].n).toBe(before);
  }, 240_000);
});
