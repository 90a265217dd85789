import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import { RawPgClient } from "../support/raw-pg-client";
import { startTestGateway, type TestGateway } from "../support/gateway-harness";
import { gatehouseQuery } from "../support/sign-in";

// Failed sign-ins throttled per source address and per claimed key (issue 13), through the database
// so that every instance sees the same counts. Clients come from other loopback addresses
// (127.0.0.2...) to be another source than the legitimate client on 127.0.0.1.
const FREE = 3;
const DELAY_MS = 50;
const REFUSE_AFTER = 8;
const WINDOW_MS = 120_000;
let t: TestGateway;
let second: TestGateway;
let key: string;

beforeAll(async () => {
  const env = {
    GATEHOUSE_AUTH_FREE_FAILURES: String(FREE),
    GATEHOUSE_AUTH_DELAY_MS: String(DELAY_MS),
    GATEHOUSE_AUTH_REFUSE_AFTER: String(REFUSE_AFTER),
    GATEHOUSE_AUTH_WINDOW_SECONDS: String(WINDOW_MS / 1000),
  };
  t = await startTestGateway(env);
  second = await startTestGateway({ ...env, GATEHOUSE_INSTANCE: "second-throttle" }, { shareDatabaseWith: t });
  key = await t.setupAccess({ connection: "pg-prod" });
});
afterAll(async () => {
  await second?.close();
  await t?.close();
});

const forged = (prefix = "ghk_") =>
  prefix +
  randomBytes(32)
    .toString("base64url")
    .slice(0, 47 - prefix.length);

/** Signs in from `from`; what came back and how long it took. */
async function signIn(port: number, password: string, from = "127.0.0.1") {
  const started = performance.now();
  const c = await RawPgClient.connect(port, from);
  const m = await c.login("pg-prod", password);
  const ms = performance.now() - started;
  c.end();
  return { m, ms };
}

async function events(action: string, clientAddr: string) {
  await t.gw.deps.audit.flush();
  await second.gw.deps.audit.flush();
  return gatehouseQuery<{ message: string }>(t, "select message from audit_events where action = $1 and client_addr = $2 order by id", [action, clientAddr]);
}

describe("[ABUSE][THROTTLE] failed sign-ins", () => {
  it("delays an address's failures past the free ones, then refuses it on every instance; a client elsewhere signs in as fast as before; audit stays bounded", async () => {
    const baseline: number[] = [];
    for (let i = 0; i < 7; i++) baseline.push((await signIn(t.pgPort, key)).ms);
    const legit: number[] = [];
    let flooding = true;
    const legitLoop = (async () => {
      while (flooding) {
        const r = await signIn(t.pgPort, key);
        expect(r.m.name).toBe("readyForQuery");
        legit.push(r.ms);
      }
    })();
    const flood: number[] = [];
    // Counts live in fixed windows (aligned to the clock): a flood that crosses into the next one starts counting afresh.
    const leftInWindow = WINDOW_MS - (Date.now() % WINDOW_MS);
    if (leftInWindow < 30_000) await new Promise((r) => setTimeout(r, leftInWindow + 100));
    for (let i = 0; i < REFUSE_AFTER; i++) {
      const r = await signIn(t.pgPort, forged(), "127.0.0.2");
      expect(r.m).toMatchObject({ code: "28P01", message: "Gatehouse authentication failed: the Gatehouse key is not valid" });
      flood.push(r.ms);
    }
    flooding = false;
    await legitLoop;
    // Delays double after the free failures: 50, 100, 200, 400, 800 ms.
    for (let i = FREE; i < REFUSE_AFTER; i++) expect(flood[i]).toBeGreaterThanOrEqual(Math.min(DELAY_MS * 2 ** (i - FREE), DELAY_MS * 16) - 5);
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    console.log(
      `[ABUSE][THROTTLE] legitimate sign-in ms before: median ${median(baseline).toFixed(0)} of ${baseline.length}; during the flood: median ${median(legit).toFixed(0)}, max ${Math.max(...legit).toFixed(0)} of ${legit.length}; ` +
        `flood answers: ${flood.map((x) => x.toFixed(0)).join(", ")}`,
    );
    expect(legit.length).toBeGreaterThan(3);
    // Nothing of the throttle is on a correct sign-in's path but one indexed read: the same latency, within this machine's noise.
    expect(median(legit)).toBeLessThan(median(baseline) * 1.5 + 100);

    // Past REFUSE_AFTER the address is refused, even with a valid key, at once, by either instance.
    for (const port of [t.pgPort, second.pgPort]) {
      const r = await signIn(port, key, "127.0.0.2");
      expect(r.m).toMatchObject({ code: "28P01" });
      expect(r.m.message).toMatch(/^Gatehouse authentication failed: too many failed sign-ins from 127\.0\.0\.2; try again in \d+ s$/);
      expect(r.ms).toBeLessThan(1000);
    }
    // The key is looked up while the address's failures are read, but a refused sign-in is not its use.
    const usedFrom = async () => (await gatehouseQuery<{ addr: string | null }>(t, "select last_used_addr as addr from keys where prefix = $1", [key.slice(0, 12)]))[0].addr;
    expect(await usedFrom()).toBe("127.0.0.1");
    // Another address with the valid key is let in, and recorded as where it was last used (best effort, so polled).
    expect((await signIn(second.pgPort, key, "127.0.0.3")).m.name).toBe("readyForQuery");
    await expect.poll(usedFrom).toBe("127.0.0.3");

    // The free failures are audited one by one; the rest as one aggregated event.
    expect(await events("session.denied", "127.0.0.2")).toHaveLength(FREE);
    const aggregated = await events("auth.throttled", "127.0.0.2");
    expect(aggregated).toHaveLength(1);
    expect(aggregated[0].message).toContain(`more than ${FREE} failed sign-ins from 127.0.0.2 in this window`);
  });

  it("delays failures that claim one key from many addresses, without refusing the addresses", async () => {
    const prefix = "ghk_" + "Zq7".repeat(3).slice(0, 8);
    const answers: number[] = [];
    for (let i = 0; i < FREE + 2; i++) {
      const r = await signIn(t.pgPort, forged(prefix), `127.0.1.${i + 1}`);
      expect(r.m).toMatchObject({ code: "28P01", message: "Gatehouse authentication failed: the Gatehouse key is not valid" });
      answers.push(r.ms);
    }
    expect(answers[FREE]).toBeGreaterThanOrEqual(DELAY_MS - 5);
    expect(answers[FREE + 1]).toBeGreaterThanOrEqual(2 * DELAY_MS - 5);
    const [row] = await gatehouseQuery<{ failures: number }>(t, "select failures from auth_failures where scope = 'key' and subject = $1", [prefix]);
    expect(row.failures).toBe(FREE + 2);
    await t.gw.deps.audit.flush();
    const aggregated = await gatehouseQuery<{ message: string }>(t, "select message from audit_events where action = 'auth.throttled' and message like $1", [`%${prefix}%`]);
    expect(aggregated).toHaveLength(1);
  });
});
