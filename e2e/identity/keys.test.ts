import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHash, randomBytes } from "node:crypto";
import pg from "pg";
import { startTestGateway, type TestGateway } from "../support/gateway-harness";
import { RawPgClient } from "../support/raw-pg-client";
import { auditLog, auditSince, endOf, gatehouseQuery, signIn } from "../support/sign-in";

// Gatehouse keys (`ghk_...`) as the psql password, issued and revoked with the real CLI.
let t: TestGateway;
let key: string;

beforeAll(async () => {
  t = await startTestGateway();
  key = await t.setupAccess(); // identity agent-7 in analysts; pg-prod granted to analysts
});
afterAll(() => t?.close());

const issue = async (identity: string, groups: string, ...extra: string[]) => {
  const r = await t.cli("keys", "issue", identity, "--groups", groups, ...extra);
  expect(r.code).toBe(0);
  return r.stdout.trim();
};
const connect = async (password: string) => {
  const c = new pg.Client({ host: "127.0.0.1", port: t.pgPort, database: "pg-prod", user: "agent", password });
  c.on("error", () => {}); // endOf() watches for the error; a dropped socket must not crash the run
  await c.connect();
  return c;
};

describe("[IDENTITY][KEYS] issuing and storing keys", () => {
  it("[IDENTITY][KEYS]: keys issue prints the key alone on stdout", async () => {
    const r = await t.cli("keys", "issue", "printer-bot", "--groups", "analysts", "--ttl", "1h");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ghk_[A-Za-z0-9_-]{43}\n$/);
    expect(r.stderr).not.toContain(r.stdout.trim()); // said once, on stdout only
    const works = await t.psql(r.stdout.trim(), "pg-prod", ["-qAtc", "select 'in'"]);
    expect(works.stdout.trim()).toBe("in");
  });

  it("[IDENTITY][KEYS]: the gatehouse database holds only a hash of the key, in no table", async () => {
    const fresh = await issue("hashed-bot", "analysts");
    expect((await signIn(t, fresh)).code).toBeNull(); // used once, so last_used_at and audit rows exist too
    await t.gw.deps.audit.flush();
    const [row] = await gatehouseQuery<{ hash: string; prefix: string }>(t, "select k.hash, k.prefix from keys k join identities i on i.id = k.identity_id where i.name = 'hashed-bot'");
    expect(row.hash).toBe(createHash("sha256").update(fresh).digest("hex"));
    expect(fresh.startsWith(row.prefix)).toBe(true);
    expect(row.prefix.length).toBeLessThan(16);
    const tables = await gatehouseQuery<{ name: string }>(t, "select quote_ident(table_name) as name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'");
    expect(tables.map((x) => x.name)).toContain("keys");
    const secretPart = fresh.slice(12); // everything after the stored prefix
    for (const { name } of tables) {
      const rows = await gatehouseQuery<{ r: string }>(t, `select t::text as r from ${name} t`);
      for (const { r } of rows) expect(r, `table ${name}`).not.toContain(secretPart);
    }
  });
});

describe("[IDENTITY][KEYS] keys that are refused", () => {
  it("[IDENTITY][KEYS]: a missing password gets 28P01 and says what to send", async () => {
    const r = await signIn(t, "");
    expect(r.code).toBe("28P01");
    expect(r.message).toMatch(/no token was given: use a Gatehouse key or an OIDC access token as the password/);
    expect(r.psql.code).toBe(2); // psql itself will not send an empty password
  });

  it("[IDENTITY][KEYS]: a wrong key gets 28P01", async () => {
    const wrong = "ghk_" + randomBytes(32).toString("base64url");
    const before = await auditLog(t);
    const r = await signIn(t, wrong);
    expect(r.code).toBe("28P01");
    expect(r.message).toBe("Gatehouse authentication failed: the Gatehouse key is not valid");
    expect(r.psql.stderr).toContain(r.message);
    const events = await auditSince(t, before);
    expect(events.map((e) => e.action)).toEqual(["session.denied", "session.denied"]);
    expect(JSON.stringify(events)).not.toContain(wrong.slice(12));
  });

  it("[IDENTITY][KEYS]: a valid key with a trailing space gets 28P01 and says why; the exact key works", async () => {
    const before = await auditLog(t);
    const r = await signIn(t, `${key} `);
    expect(r.code).toBe("28P01");
    expect(r.message).toBe("Gatehouse authentication failed: the password has spaces or line breaks around the token: give the Gatehouse key or access token exactly as issued");
    expect(r.psql.code).toBe(2);
    expect(r.psql.stderr).toContain("spaces or line breaks around the token");
    expect((await signIn(t, `\n${key}`)).code).toBe("28P01");
    const events = await auditSince(t, before);
    expect(events.map((e) => e.action)).toEqual(["session.denied", "session.denied", "session.denied", "session.denied"]);
    expect((await signIn(t, key)).code).toBeNull();
  });

  it("[IDENTITY][KEYS]: a valid key followed by bytes after the password's NUL is refused with 08P01", async () => {
    const body = Buffer.from(`${key}\0ghk_trailing`);
    const message = Buffer.concat([Buffer.from("p"), Buffer.alloc(4), body]);
    message.writeInt32BE(body.length + 4, 1);
    const c = await RawPgClient.connect(t.pgPort);
    const err = await c.login("pg-prod", message);
    expect(err).toMatchObject({ name: "error", code: "08P01", severity: "FATAL", message: "invalid password packet: the password message has 12 bytes after its terminating NUL" });
    await c.waitClosed();
    expect(c.closed).toBe(true);
    // The same key sent exactly is let in.
    const ok = await RawPgClient.connect(t.pgPort);
    expect((await ok.login("pg-prod", key)).name).toBe("readyForQuery");
    ok.end();
  });

  it("[IDENTITY][KEYS]: a revoked key gets 28P01", async () => {
    const k = await issue("revoked-bot", "analysts");
    expect((await signIn(t, k)).code).toBeNull();
    expect((await t.cli("keys", "revoke", "revoked-bot")).code).toBe(0);
    const r = await signIn(t, k);
    expect(r.code).toBe("28P01");
    expect(r.message).toMatch(/the Gatehouse key has been revoked/);
    expect(r.psql.stderr).toContain("has been revoked");
  });

  it("[IDENTITY][KEYS]: an expired key gets 28P01", async () => {
    const k = await issue("brief-bot", "analysts", "--ttl", "1s");
    await new Promise((r) => setTimeout(r, 1500));
    const r = await signIn(t, k);
    expect(r.code).toBe("28P01");
    expect(r.message).toMatch(/the Gatehouse key has expired/);
  });

  it("[IDENTITY][KEYS]: a key of an identity in no granted group gets 28000, like a connection that does not exist", async () => {
    const k = await issue("loner-bot", "interns");
    const before = await auditLog(t);
    const r = await signIn(t, k);
    expect(r.code).toBe("28000");
    expect(r.message).toBe('connection "pg-prod" does not exist or you are not allowed to use it');
    const missing = await signIn(t, key, "pg-missing");
    expect(missing.code).toBe("28000");
    expect(missing.message).toBe(r.message!.replace("pg-prod", "pg-missing"));
    const events = await auditSince(t, before);
    expect(events.some((e) => e.action === "session.start")).toBe(false);
    expect(events.find((e) => e.identityName === "loner-bot")).toMatchObject({ action: "session.denied", groups: ["interns"] });
  });
});

describe("[IDENTITY][KEYS] revocation of a live session", () => {
  it("[IDENTITY][KEYS]: keys revoke ends the identity's live session within seconds, and only that one", async () => {
    const doomedKey = await issue("agent-9", "analysts");
    const doomed = await connect(doomedKey);
    const bystander = await connect(key); // agent-7
    expect((await doomed.query("select 1 as one")).rows).toEqual([{ one: 1 }]);
    const ended = endOf(doomed, 8_000);
    const bystanderEnd = endOf(bystander, 8_000);
    const revoke = await t.cli("keys", "revoke", "agent-9");
    expect(revoke.code).toBe(0);
    const end = await ended;
    expect(end.how).not.toBe("still open");
    expect(end.afterMs).toBeLessThan(5_000);
    expect(end.how).toBe("error");
    expect(end.error?.code).toBe("57P01");
    expect(end.error?.message).toMatch(/revoked/);
    await expect(doomed.query("select 1")).rejects.toThrow();
    // Another identity's session is untouched.
    expect((await bystander.query("select 2 as two")).rows).toEqual([{ two: 2 }]);
    await bystander.end();
    expect((await bystanderEnd).how).toBe("end"); // ended by us, not by the gateway
    await doomed.end().catch(() => {});
  });

  it("[IDENTITY][KEYS]: a key with a --ttl works until then, and its live session ends when it expires", async () => {
    const k = await issue("shift-bot", "analysts", "--ttl", "3s");
    const c = await connect(k);
    expect((await c.query("select 'on shift' as s")).rows).toEqual([{ s: "on shift" }]);
    const end = await endOf(c, 8_000);
    await c.end().catch(() => {});
    expect(end.how).toBe("error");
    expect(end.error?.message).toMatch(/credential of this session has expired/);
    expect(end.afterMs).toBeLessThan(5_000);
  });
});
