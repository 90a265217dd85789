import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startKubeFixture, type KubeFixture } from "./kube-fixture";
import { startKubectl } from "./kubectl";
import { auditEventsAbout, seedMasking } from "../support/seed";

// `kubectl logs -f` through the gateway: the stand-in API server (no real one runs here) streams a
// pod's log, then a line every 300 ms; the connection's detectors mask each line as it passes.
describe("[KUBERNETES][LOGS] kubectl logs -f streams through the gateway with the detectors applied", () => {
  let f: KubeFixture;
  beforeAll(async () => {
    f = await startKubeFixture(["masked-cluster"]);
    await seedMasking(f.seed, "masked-cluster", { detectors: { builtIn: ["email"], style: "redact" } });
    f.api.seed("pods", "default", {
      metadata: {
        name: "mailer",
        annotations: { "stand-in/log": "started mailer\nsent welcome to ann.smith@example.com\n", "stand-in/follow-log": "retry {n} for bob{n}@example.org queued" },
      },
      spec: { containers: [{ name: "main", image: "mailer" }] },
    });
  }, 120_000);
  afterAll(async () => {
    if (f) expect(f.api.leaks).toEqual([]);
    await f?.close();
  });

  it("the log so far and each followed line arrive masked, while the stream stays open; it is audited once stopped", async () => {
    const logs = startKubectl(f.kubeconfig("masked-cluster"), ["logs", "-f", "mailer"]);
    try {
      const seen = await logs.waitFor(/retry 3 for \S+ queued/);
      expect(seen).toContain("started mailer\nsent welcome to [REDACTED:email]\n");
      expect(seen).toContain("retry 1 for [REDACTED:email] queued\n");
      expect(seen).toContain("retry 3 for [REDACTED:email] queued");
      expect(seen).not.toMatch(/@example\.(com|org)/);
    } finally {
      logs.stop();
    }
    expect(f.api.seen.some((s) => s.url.startsWith("/api/v1/namespaces/default/pods/mailer/log?") && s.url.includes("follow=true"))).toBe(true);
    await expect
      .poll(
        async () => {
          await f.gw.gw.deps.audit.flush();
          return (await auditEventsAbout(f.seed, "/namespaces/default/pods/mailer/log")).map((e) => [e.action, e.statementKind, e.outcome, e.message]);
        },
        { timeout: 10_000 },
      )
      .toEqual([
        ["request.start", "get pods/log", "ok", "log follow started"],
        ["request", "get pods/log", "ok", "the client ended the log follow"],
      ]);
  });
});
