import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { eq, sql } from "drizzle-orm";
import { openDb, type DbHandle } from "../../drizzle/client";
import { accessRequests } from "../../drizzle/schema/index";
import { addConsoleUser } from "../../core/users/console-users";
import { startTestGateway, type TestGateway } from "../support/gateway-harness";

let t: TestGateway;
let db: DbHandle;
let key: string;

beforeAll(async () => {
  t = await startTestGateway();
  db = openDb(t.env.DATABASE_URL, { max: 2 });
  // The connection exists and is granted to "analysts"; agent-j is only in "contractors".
  await t.setupAccess({ connection: "jit", group: "analysts", identity: "someone-else" });
  key = (await t.cli("keys", "issue", "agent-j", "--groups", "contractors")).stdout.trim();
  await addConsoleUser(db.db, { email: "dana@example.com", role: "approver", password: "a long enough password" });
});
afterAll(async () => {
  await db?.close();
  await t?.close();
});

const requestId = (stdout: string) => /access request ([0-9a-f-]{36})/.exec(stdout)![1];
const connect = async () => {
  const c = new pg.Client({ host: "127.0.0.1", port: t.pgPort, database: "jit", user: "agent-j", password: key });
  await c.connect();
  return c;
};
const endOf = (c: pg.Client) => new Promise<string>((resolve) => c.on("error", (e) => resolve(e.message)));

describe("[ACCESS REQUESTS] time-bound access to a connection", () => {
  it("is refused before, works once approved, and a rejection or self-approval does not open it", async () => {
    const before = await t.psql(key, "jit", ["-c", "select 1"]);
    expect(before.stderr).toContain('connection "jit" does not exist or you are not allowed to use it');

    const rejected = requestId((await t.cli("access", "request", "jit", "--identity", "agent-j", "--for", "1h", "--reason", "incident 42")).stdout);
    const noReason = await t.cli("access", "reject", rejected, "--as", "dana@example.com");
    expect(noReason.stderr).toContain("say why you reject it");
    expect((await t.cli("access", "reject", rejected, "--as", "dana@example.com", "--reason", "use the replica")).stdout).toContain("rejected: use the replica");
    expect((await t.psql(key, "jit", ["-c", "select 1"])).code).not.toBe(0);

    const id = requestId((await t.cli("access", "request", "jit", "--identity", "agent-j", "--for", "1h", "--reason", "incident 43")).stdout);
    // An approver whose console account is linked to agent-j cannot approve agent-j's access.
    await addConsoleUser(db.db, { email: "owner@example.com", role: "approver", password: "a long enough password" });
    await db.db.execute(sql`update console_users set identity_id = (select id from identities where name = 'agent-j') where email = 'owner@example.com'`);
    expect((await t.cli("access", "approve", id, "--as", "owner@example.com")).stderr).toContain("nobody approves their own access request");
    const approved = await t.cli("access", "approve", id, "--as", "dana@example.com");
    expect(approved.stdout).toMatch(/approved: agent-j may use jit until \d{4}-/);
    const after = await t.psql(key, "jit", ["-qAtc", "select 'in' as s"]);
    expect(after.stdout.trim()).toBe("in");
    const listed = (await t.cli("access", "list", "--json")).stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(listed.find((r) => r.id === id).status).toBe("approved");
  });

  it("ends live sessions when the access expires", async () => {
    const id = requestId((await t.cli("access", "request", "jit", "--identity", "agent-j", "--for", "1h", "--reason", "short job")).stdout);
    await t.cli("access", "approve", id, "--as", "dana@example.com");
    // Instead of waiting an hour: the approved access ends 3 s from now (the same column the approval set).
    await db.db.execute(sql`update access_requests set access_expires_at = now() + interval '3 seconds' where identity_name = 'agent-j' and status = 'approved'`);
    const c = await connect();
    const ended = endOf(c);
    expect((await c.query("select 1 as one")).rows[0].one).toBe(1);
    expect(await ended).toContain("the time-bound access to jit has ended");
    const again = await t.psql(key, "jit", ["-c", "select 1"]);
    expect(again.stderr).toContain("not allowed to use it");
  }, 20_000);

  it("ends live sessions when an approver revokes the access early", async () => {
    const id = requestId((await t.cli("access", "request", "jit", "--identity", "agent-j", "--for", "2h", "--reason", "migration")).stdout);
    await t.cli("access", "approve", id, "--as", "dana@example.com");
    const c = await connect();
    const ended = endOf(c);
    expect((await t.cli("access", "revoke", id)).stdout).toContain("revoked: agent-j no longer uses jit");
    expect(await ended).toContain("the time-bound access to this connection was revoked");
    const [row] = await db.db.select().from(accessRequests).where(eq(accessRequests.id, id));
    expect(row.revokedAt).not.toBeNull();
  }, 20_000);
});
