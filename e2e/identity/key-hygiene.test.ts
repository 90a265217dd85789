import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestGateway, type TestGateway } from "../support/gateway-harness";
import { gatehouseQuery, signIn } from "../support/sign-in";

// Key last use (when, from where, over which protocol) and GATEHOUSE_KEY_UNUSED_EXPIRE, with psql.
let t: TestGateway;

beforeAll(async () => {
  t = await startTestGateway({ GATEHOUSE_KEY_UNUSED_DAYS: "30", GATEHOUSE_KEY_UNUSED_EXPIRE: "true" });
  await t.setupAccess();
});
afterAll(() => t?.close());

type Use = { used: string | null; addr: string | null; protocol: string | null };
const use = async (key: string): Promise<Use> =>
  (await gatehouseQuery<Use>(t, "select last_used_at::text as used, last_used_addr as addr, last_used_protocol as protocol from keys where prefix = $1", [key.slice(0, 12)]))[0];
const issue = async (identity: string) => (await t.cli("keys", "issue", identity, "--groups", "analysts")).stdout.trim();
/** The recording is best effort and not awaited by sign-in: wait for it. */
async function usedOnce(key: string): Promise<Use> {
  for (let i = 0; i < 50; i++) {
    const u = await use(key);
    if (u.used) return u;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("last use never recorded");
}

describe("[IDENTITY][KEYS] last use and unused expiry", () => {
  it("[IDENTITY][KEYS]: a key records when, from which address and over which protocol it was last used; at most once a minute, never per statement", async () => {
    const key = await issue("hygiene-bot");
    expect(await use(key)).toEqual({ used: null, addr: null, protocol: null });
    const r = await t.psql(key, "pg-prod", ["-qAtc", "select 1", "-c", "select 2", "-c", "select 3"]);
    expect(r.code).toBe(0);
    const first = await usedOnce(key);
    expect(first).toMatchObject({ addr: "127.0.0.1", protocol: "postgres" });
    // A second sign-in from the same place within the minute writes nothing.
    expect((await t.psql(key, "pg-prod", ["-qAtc", "select 1"])).code).toBe(0);
    await new Promise((r) => setTimeout(r, 300));
    expect((await use(key)).used).toBe(first.used);
  });

  it("[IDENTITY][KEYS]: a key never used for 30 days, or last used 31 days ago, is refused with a readable reason; one used 10 days ago works", async () => {
    const never = await issue("stale-never");
    const old = await issue("stale-old");
    const recent = await issue("fresh");
    await gatehouseQuery(t, "update keys set created_at = now() - interval '31 days' where prefix = $1", [never.slice(0, 12)]);
    await gatehouseQuery(t, "update keys set created_at = now() - interval '60 days', last_used_at = now() - interval '31 days' where prefix = $1", [old.slice(0, 12)]);
    await gatehouseQuery(t, "update keys set created_at = now() - interval '60 days', last_used_at = now() - interval '10 days' where prefix = $1", [recent.slice(0, 12)]);
    for (const key of [never, old]) {
      const r = await signIn(t, key);
      expect(r.code).toBe("28P01");
      expect(r.message).toMatch(/the Gatehouse key has expired: it was not used for 30 days \(GATEHOUSE_KEY_UNUSED_EXPIRE\)/);
    }
    expect((await signIn(t, recent)).code).toBeNull();
  });
});
