import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import { gt } from "drizzle-orm";
import { auditEvents } from "../../drizzle/schema/index";
import { startTestGateway, type TestGateway } from "../support/gateway-harness";
import {
  APPROVER_EMAIL,
  activeSessionId,
  auditEventsAbout,
  decidePendingReview,
  killSession,
  openSeed,
  revokeIdentityKeys,
  seedGrant,
  seedIdentity,
  seedMasking,
  seedPolicy,
  seedTimeBoundAccess,
  type Seed,
  type SeededIdentity,
} from "../support/seed";
import type { ClientOutcome, ContractAdapter, ContractCase, ContractDriver, ContractSession, Refused } from "./contract-adapter";

export * from "./contract-adapter";

// One gateway and one target per adapter file; each case has its own connection or identity where
// it could disturb another (a policy, a revocation, an expiry), so the cases share them safely.
const C = { open: "c-open", guarded: "c-guarded", masked: "c-masked", ungranted: "c-secret", unknown: "c-nowhere", timeBound: "c-jit" } as const;
const GROUP = "contract";
const RULES = { deny: "contract-deny", hold: "contract-hold", slowHold: "contract-slow-hold" } as const;
const HOLD_TIMEOUT_S = 5; // the policy schema's minimum
// Long enough to open a session under load (an SSH command costs the target's login shell), short enough to wait for.
const ACCESS_WINDOW_S = 8;

/** Registers the pipeline contract for one protocol adapter: only the cases it declares. */
export function describePipelineContract(adapter: ContractAdapter): void {
  describe(`[CONTRACT][${adapter.name}]`, () => {
    let gw: TestGateway;
    let seed: Seed;
    let driver: ContractDriver;
    let agent: SeededIdentity;
    const open: ContractSession[] = [];

    beforeAll(async () => {
      gw = await startTestGateway();
      seed = openSeed(gw);
      driver = await adapter.start(gw, seed);
      for (const name of [C.open, C.guarded, C.masked, C.ungranted, C.timeBound]) await driver.addConnection(name);
      for (const name of [C.open, C.guarded, C.masked]) await seedGrant(seed, GROUP, name);
      await seedPolicy(seed, C.guarded, {
        defaultAction: "allow",
        rules: [
          { name: RULES.deny, action: "deny", match: { regex: "contract_deny_" } },
          { name: RULES.hold, action: "review", match: { regex: "contract_hold_" } },
          { name: RULES.slowHold, action: "review", match: { regex: "contract_slow_" }, timeoutSeconds: HOLD_TIMEOUT_S },
        ],
      });
      await seedMasking(seed, C.masked, { detectors: { builtIn: ["email"], style: "redact" } });
      agent = await seedIdentity(seed, "contract-agent", [GROUP]);
      for (const [c, fn] of waitingCases) {
        const outcome = fn();
        outcome.catch(() => {}); // its test awaits it and reports the failure
        waiting.set(c, outcome);
      }
    }, 120_000);
    afterAll(async () => {
      await Promise.allSettled(open.map((s) => s.close()));
      await driver?.stop();
      await seed?.close();
      await gw?.close();
    });

    const when = (c: ContractCase, title: string, fn: () => Promise<void>, timeout = 45_000) => {
      if (adapter.cases[c] === true) it(`${title} (${c})`, fn, timeout);
    };
    // A case that waits out a timer (the hold's timeout, the access window) starts when the gateway
    // is ready (the end of beforeAll), so the other cases run while it waits; its test awaits the outcome.
    const waitingCases: Array<[ContractCase, () => Promise<void>]> = [];
    const waiting = new Map<ContractCase, Promise<void>>();
    const whenWaiting = (c: ContractCase, title: string, fn: () => Promise<void>, timeout = 45_000) => {
      if (adapter.cases[c] !== true) return;
      waitingCases.push([c, fn]);
      it(`${title} (${c})`, () => waiting.get(c)!, timeout);
    };
    const marker = (kind: string) => `contract_${kind}_${randomBytes(4).toString("hex")}`;
    const session = async (who: SeededIdentity, connection: string) => {
      const r = await driver.open(await driver.credential(who, connection), connection);
      if (!r.ok) throw new Error(`${who.name} could not open ${connection}: ${r.code} ${r.message}`);
      open.push(r.session);
      return r.session;
    };
    /** What a client sees when it tries to use `connection` with `credential`: the first refusal, or the output. */
    const attempt = async (credential: string, connection: string): Promise<ClientOutcome> => {
      const r = await driver.open(credential, connection);
      if (!r.ok) return r;
      try {
        return await r.session.run(adapter.echo("contract_probe"));
      } finally {
        await r.session.close();
      }
    };
    const latestAuditId = async () => (await seed.db.select({ id: auditEvents.id }).from(auditEvents).orderBy(auditEvents.id)).at(-1)?.id ?? 0;
    const auditSince = (id: number) => seed.db.select().from(auditEvents).where(gt(auditEvents.id, id)).orderBy(auditEvents.id);
    /** The output of a command that should have run; a refusal fails the test with what the client showed. */
    const output = (r: ClientOutcome): string => {
      if (!r.ok) throw new Error(`the command should have run, but the client showed: ${r.code} ${r.message}`);
      return r.output;
    };
    const refused = (r: ClientOutcome): Refused => {
      if (r.ok) throw new Error(`the client should have been refused, but it showed: ${r.output}`);
      return r;
    };
    /** How a live session ended, or a failure that shows what its client saw instead (within 15 s). */
    const endOf = async (s: ContractSession, ended: Promise<Refused>) => {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`the session did not end within 15 s; its client showed:\n${s.transcript().slice(-1500)}`)), 15_000)));
      try {
        return await Promise.race([ended, late]);
      } finally {
        clearTimeout(timer);
      }
    };

    when("bad-credential", "a credential the gateway never issued is refused natively and audited as session.denied", async () => {
      const since = await latestAuditId();
      const r = refused(await attempt(driver.forgedCredential(), C.open));
      expect(r.code).toBe(adapter.codes.badCredential);
      // One event per refused attempt (OpenSSH tries keyboard-interactive, then password).
      // (The access-expiry case, running meanwhile, is refused on its own connection once its access ends.)
      const denied = async () => (await auditSince(since)).filter((e) => e.action === "session.denied" && e.connectionName !== C.timeBound);
      await expect.poll(async () => (await denied()).length, { timeout: 5000, message: "no session.denied audit event for the refused credential" }).toBeGreaterThan(0);
      expect(new Set((await denied()).map((e) => `${e.protocol} ${e.outcome} ${e.identityName}`))).toEqual(new Set([`${adapter.deniedProtocol ?? adapter.sessionProtocol} denied null`]));
    });

    when("no-connection", "an ungranted and an unknown connection are refused alike, so names do not leak", async () => {
      const since = await latestAuditId();
      const ungranted = refused(await attempt(await driver.credential(agent, C.ungranted), C.ungranted));
      const unknown = refused(await attempt(await driver.credential(agent, C.unknown), C.unknown));
      expect(ungranted.code).toBe(adapter.codes.noConnection);
      expect(unknown.code).toBe(ungranted.code);
      expect(unknown.message.replaceAll(C.unknown, "<name>")).toBe(ungranted.message.replaceAll(C.ungranted, "<name>"));
      // Only these two names: a client that retried the previous case's forged credential may still be refused on C.open.
      const names: string[] = [C.ungranted, C.unknown];
      await expect
        .poll(async () => (await auditSince(since)).filter((e) => e.action === "session.denied" && names.includes(e.connectionName ?? "")).map((e) => e.connectionName), { timeout: 5000 })
        .toEqual(names);
    });

    when("deny-rule", "a deny rule refuses the command with the rule's name; the session goes on; audited as denied", async () => {
      const s = await session(agent, C.guarded);
      const m = marker("deny");
      const r = refused(await s.run(adapter.echo(m)));
      expect(r.code).toBe(adapter.codes.refused);
      expect(r.message).toContain(`rule "${RULES.deny}"`);
      expect(output(await s.run(adapter.echo("still_here")))).toContain("still_here");
      await expect
        .poll(async () => (await auditEventsAbout(seed, m)).map((e) => ({ outcome: e.outcome, identity: e.identityName })), { timeout: 5000 })
        .toEqual([{ outcome: "denied", identity: agent.name }]);
    });

    when("hold-approve", "a held command runs once approved and its result reaches the client", async () => {
      const s = await session(agent, C.guarded);
      const m = marker("hold");
      const running = s.run(adapter.echo(m));
      await decidePendingReview(seed, m, { approve: true });
      expect(output(await running)).toContain(m);
    });

    when("hold-reject", "a rejected command is refused with the approver's reason", async () => {
      const s = await session(agent, C.guarded);
      const m = marker("hold");
      const running = s.run(adapter.echo(m));
      await decidePendingReview(seed, m, { reject: "not during the freeze" });
      const r = refused(await running);
      expect(r.code).toBe(adapter.codes.refused);
      expect(r.message).toContain(`rejected by ${APPROVER_EMAIL}: not during the freeze`);
    });

    /** Opens a live session for a fresh identity, ends it with `trigger`, and returns how its client saw the end. */
    const endedBy = async (who: SeededIdentity, connection: string, trigger: () => Promise<unknown>) => {
      const s = await session(who, connection);
      // Held open (a running command, an idle client, a prompt) is proof enough that it is live.
      const { ended } = await s.holdOpen();
      await trigger();
      const end = await endOf(s, ended);
      expect(end.code).toBe(adapter.codes.ended);
      return end;
    };

    when("admin-kill", "a sessions.kill event (the console's Kill) ends the live session and its client is told why", async () => {
      const who = await seedIdentity(seed, "contract-killed", [GROUP]);
      const end = await endedBy(who, C.open, async () => killSession(seed, await activeSessionId(seed, who.name, adapter.sessionProtocol)));
      expect(end.message).toContain("an administrator ended this session");
    });

    when("key-revocation", "`keys revoke` ends the identity's live session and its client is told why", async () => {
      const who = await seedIdentity(seed, "contract-revoked", [GROUP]);
      const end = await endedBy(who, C.open, async () => (await activeSessionId(seed, who.name, adapter.sessionProtocol), revokeIdentityKeys(seed, who.name)));
      expect(end.message).toMatch(/revoked/);
    });

    whenWaiting("hold-timeout", "a command nobody decides on within the rule's timeout is refused", async () => {
      const s = await session(agent, C.guarded);
      const started = Date.now();
      const r = refused(await s.run(adapter.echo(marker("slow"))));
      expect(r.code).toBe(adapter.codes.refused);
      expect(r.message).toContain("nobody approved it in time");
      expect(Date.now() - started).toBeGreaterThanOrEqual(HOLD_TIMEOUT_S * 1000 - 500);
    });

    whenWaiting("access-expiry", "the end of time-bound access ends the session that relied on it, and says so", async () => {
      // In no group that is granted the connection: only the approved access admits it.
      const who = await seedIdentity(seed, "contract-temporary", ["contract-temps"]);
      const accessEnds = Date.now() + ACCESS_WINDOW_S * 1000;
      await seedTimeBoundAccess(seed, who.name, C.timeBound, ACCESS_WINDOW_S);
      const end = await endedBy(who, C.timeBound, async () => {});
      expect(end.message).toContain(`the time-bound access to ${C.timeBound} has ended`);
      expect(Date.now(), "ended when the access did, not before").toBeGreaterThanOrEqual(accessEnds - 1000);
      expect(refused(await attempt(await driver.credential(who, C.timeBound), C.timeBound)).code).toBe(adapter.codes.noConnection);
    });

    when("audit-per-command", "each command is exactly one audit event, carrying the identity", async () => {
      const s = await session(agent, C.open);
      const [first, second] = [marker("audit"), marker("audit")];
      expect(output(await s.run(adapter.echo(first)))).toContain(first);
      expect(output(await s.run(adapter.echo(second)))).toContain(second);
      // Events are written in order: once the second is there, a duplicate of the first would be too.
      await expect.poll(async () => (await auditEventsAbout(seed, second)).length, { timeout: 5000 }).toBeGreaterThan(0);
      const events = await auditEventsAbout(seed, first);
      expect(events.map((e) => ({ outcome: e.outcome, identityId: e.identityId, identityName: e.identityName, connection: e.connectionName }))).toEqual([
        { outcome: "ok", identityId: agent.id, identityName: agent.name, connection: C.open },
      ]);
    });

    when("masking", "values the connection's masking covers reach the client masked", async () => {
      const s = await session(agent, C.masked);
      const email = `${marker("mask").replaceAll("_", ".")}@example.com`;
      const shown = output(await s.run(adapter.echo(email)));
      expect(shown).toContain("[REDACTED:email]");
      expect(shown).not.toContain(email);
    });
  });
}
