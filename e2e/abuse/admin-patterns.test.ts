import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import pg from "pg";
import { addPostgresConnection } from "../../core/connections/add-connection";
import { grantAccess } from "../../core/access/grant-access";
import { applyPolicy } from "../../core/policy/manage-policies";
import { applyMaskingRules } from "../../core/masking/manage-masking";
import { maskingRules, policies } from "../../drizzle/schema/index";
import { connectionId } from "../../core/connections/connection-id";
import { gatehouse, startPgGatewayProcess, type PgGateway } from "../audit/gateway-process";

// An admin's pattern (a guardrail rule's regex, a custom masking detector) meets text an agent
// chooses. With JavaScript's backtracking RegExp, `^select '(\w+\s?)+'$` on 40 letters and a `!`
// runs for days, and `from .* join .* where` on a long statement for minutes: the gateway's one
// event loop, and every session on it, stops. The gateway runs in its own process here so that a
// regression fails these cases by their time limit instead of stopping the test process too.
const pgServer = inject("pg");
const WORD_RUN = "^select '(\\w+\\s?)+'$";
let t: PgGateway;
let port: number;
let key: string;

beforeAll(async () => {
  t = await startPgGatewayProcess(pgServer, { instance: "patterns-test", identity: "agent-9" });
  ({ port, key } = t);
  await applyPolicy(t.handle.db, "pg-prod", {
    defaultAction: "allow",
    rules: [
      { name: "no-word-runs", action: "deny", match: { regex: WORD_RUN } },
      { name: "no-join-scans", action: "deny", match: { regex: "from .* join .* where" } },
    ],
  });
  await applyMaskingRules(t.handle.db, "pg-prod", { detectors: { builtIn: [], custom: [{ id: "word-run", pattern: "^([a-z]+\\s?)+$" }] } });
});

afterAll(() => t?.stop());

/** One statement on a fresh session, answered within 20 s or failed with its name. */
async function ask(text: string): Promise<{ rows?: Array<Record<string, unknown>>; error?: { code?: string; message: string } }> {
  const client = new pg.Client({ host: "127.0.0.1", port, database: "pg-prod", user: "agent-9", password: key });
  client.on("error", () => {});
  const answer = (async () => {
    await client.connect();
    try {
      return { rows: (await client.query(text)).rows };
    } catch (err) {
      return { error: err as { code?: string; message: string } };
    }
  })();
  const limit = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within 20 s to ${text.slice(0, 60)}…`)), 20_000).unref());
  try {
    return await Promise.race([answer, limit]);
  } finally {
    void client.end().catch(() => {});
  }
}

describe("[ABUSE][PATTERNS] an admin's regular expression cannot stop the gateway", () => {
  it("a guardrail regex on a statement built to make it backtrack answers, and still decides", async () => {
    const exponential = `select '${"a".repeat(40)}!'`;
    const polynomial = `select length('${"from join ".repeat(20_000)}') as n`;
    const [a, b, other] = await Promise.all([ask(exponential), ask(polynomial), ask("select 41 + 1 as n")]);
    expect(a.rows).toEqual([{ "?column?": `${"a".repeat(40)}!` }]);
    expect(b.rows).toEqual([{ n: 200_000 }]);
    expect(other.rows).toEqual([{ n: 42 }]);
    // The same rules still refuse what they match.
    expect((await ask("select 'ab cd'")).error).toMatchObject({ code: "42501", message: expect.stringContaining('"no-word-runs"') });
    expect((await ask("select 1 from pg_class c join pg_namespace n on true where false")).error).toMatchObject({ code: "42501", message: expect.stringContaining('"no-join-scans"') });
  });

  it("a custom masking detector on a value built to make it backtrack answers, and still masks what it matches", async () => {
    const { rows } = await ask(`select repeat('a', 40) || '!' as hard, 'ab cd' as soft, 42 as n`);
    expect(rows).toHaveLength(1);
    expect(rows![0].hard).toBe(`${"a".repeat(40)}!`);
    expect(rows![0].soft).not.toBe("ab cd");
    expect(rows![0].n).toBe(42);
  });

  it("refuses a pattern the linear-time engine cannot run, saying why", async () => {
    await expect(applyPolicy(t.handle.db, "pg-prod", { rules: [{ name: "look", action: "deny", match: { regex: "drop(?=\\s)" } }] })).rejects.toThrow(
      /rules\.0\.match\.regex: not supported \(.*\(\?=.*\): patterns run in time linear in the text \(RE2 syntax\), without lookahead, lookbehind or back-references/,
    );
    await expect(applyMaskingRules(t.handle.db, "pg-prod", { detectors: { custom: [{ id: "twice", pattern: "(\\d)\\1" }] } })).rejects.toThrow(/detectors\.custom\.0\.pattern: not supported/);
  });

  it("refuses sessions on a connection whose stored policy or masking rules have such a pattern (saved by an earlier release), saying what to fix", async () => {
    await addPostgresConnection(t.handle.db, t.box, { name: "pg-stale", url: `postgres://app:secret@127.0.0.1:${pgServer.port}/shop?sslmode=disable` });
    await grantAccess(t.handle.db, "analysts", "pg-stale");
    const staleId = await connectionId(t.handle.db, "pg-stale");
    // As an earlier release stored it: JavaScript's RegExp accepted the lookahead.
    await t.handle.db.insert(policies).values({ connectionId: staleId, policy: { defaultAction: "allow", rules: [{ name: "look", action: "deny", match: { regex: "drop(?=\\s)" } }] } });
    const connect = async () => {
      const client = new pg.Client({ host: "127.0.0.1", port, database: "pg-stale", user: "agent-9", password: key });
      client.on("error", () => {});
      return client.connect().then(
        () => client.end().then(() => null),
        (err: { message: string; hint?: string }) => err,
      );
    };
    const refused = await connect();
    expect(refused?.message).toMatch(/^connection "pg-stale" cannot be served: its guardrail policy no longer validates \(rules\.0\.match\.regex: not supported .*\)$/);
    // Said once, where: the message says what is wrong, the hint who fixes it and where.
    expect(refused?.hint).toBe("An admin can correct it and save it again: the console's Guardrails or Masking page, or `gatehouse policies apply` / `gatehouse masking apply`.");
    expect((await ask("select 1 as n")).rows).toEqual([{ n: 1 }]);
    // The CLI still shows it as stored, for the admin to correct, and says why it is refused.
    const shown = await gatehouse(t.env, "policies", "show", "pg-stale");
    expect(shown.code, shown.stderr).toBe(0);
    expect(JSON.parse(shown.stdout).rules[0].match).toEqual({ regex: "drop(?=\\s)" });
    expect(shown.stderr).toMatch(
      /^policy of pg-stale: its guardrail policy no longer validates \(rules\.0\.match\.regex: not supported .*\); sessions on this connection are refused until it is corrected and applied again \(gatehouse policies apply pg-stale -f policy\.json\)\n$/,
    );

    // Corrected through the CLI, the connection serves again; then masking rules with a back-reference refuse it the same way.
    await applyPolicy(t.handle.db, "pg-stale", { defaultAction: "allow", rules: [{ name: "look", action: "deny", match: { regex: "drop\\s" } }] });
    await t.handle.db.insert(maskingRules).values({ connectionId: staleId, rules: { detectors: { custom: [{ id: "twice", pattern: "(\\d)\\1" }] } } });
    await expect.poll(async () => (await connect())?.message, { timeout: 10_000 }).toMatch(/^connection "pg-stale" cannot be served: its masking rules no longer validate/);
    const masking = await gatehouse(t.env, "masking", "show", "pg-stale");
    expect(masking.code, masking.stderr).toBe(0);
    expect(JSON.parse(masking.stdout).detectors.custom[0]).toEqual({ id: "twice", pattern: "(\\d)\\1" });
    expect(masking.stderr).toMatch(
      /^masking rules of pg-stale: its masking rules no longer validate \(detectors\.custom\.0\.pattern: not supported .*\); sessions on this connection are refused until they are corrected and applied again \(gatehouse masking apply pg-stale -f rules\.json\)\n$/,
    );
  });
});
