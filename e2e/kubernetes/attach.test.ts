import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { and, desc, eq } from "drizzle-orm";
import { sessions } from "../../drizzle/schema/index";
import { startKubeFixture, type KubeFixture } from "./kube-fixture";
import { kubectlTerminal } from "./kubectl";
import { auditEventsAbout, seedIdentity, seedPolicy } from "../support/seed";

// `kubectl attach` through the gateway: the same WebSocket channels as exec, relayed to the stand-in
// API server's pod attach (each pod's main process is a real shell on this machine; no Kubernetes API
// server runs here: e2e/kubernetes/stand-in/).
describe("[KUBERNETES][ATTACH] kubectl attach through the gateway is judged as create pods/attach, relayed and recorded", () => {
  let f: KubeFixture;
  const latestRecording = async (identityName: string) => {
    const [row] = await f.seed.db
      .select({ id: sessions.id })
      .from(sessions)
      .where(and(eq(sessions.protocol, "kubernetes"), eq(sessions.identityName, identityName)))
      .orderBy(desc(sessions.startedAt))
      .limit(1);
    return row ? (await f.gw.cli("sessions", "export", row.id, "--format", "asciicast")).stdout : "";
  };
  beforeAll(async () => {
    f = await startKubeFixture(["cluster"]);
    await seedPolicy(f.seed, "cluster", {
      defaultAction: "allow",
      rules: [{ name: "no-attach-in-prod", action: "deny", match: { kinds: ["create pods/attach"], namespaces: ["prod"] } }],
    });
    f.api.seed("namespaces", undefined, { metadata: { name: "prod" } });
    for (const ns of ["default", "prod"]) {
      f.api.seed("pods", ns, { metadata: { name: "worker" }, spec: { containers: [{ name: "main", image: "busybox", stdin: true, stdinOnce: true }] } });
      f.api.seed("pods", ns, { metadata: { name: "console" }, spec: { containers: [{ name: "main", image: "busybox", stdin: true, stdinOnce: true, tty: true }] } });
    }
  }, 120_000);
  afterAll(async () => {
    if (f) expect(f.api.leaks).toEqual([]);
    await f?.close();
  });

  it("attaches to a pod's main process with stdin; audited as create pods/attach with a start and an end; recorded", async () => {
    const who = await seedIdentity(f.seed, "kube-attacher", ["platform"]);
    const r = await f.kubectl("cluster", ["attach", "-i", "worker"], { token: who.key, input: "echo attached-$((40 + 2))\necho to-stderr >&2\n" });
    expect(r.stdout).toBe("attached-42\n");
    expect(r.stderr).toContain("to-stderr");
    expect(r.code).toBe(0);
    expect(f.api.seen.some((s) => s.url.startsWith("/api/v1/namespaces/default/pods/worker/attach?"))).toBe(true);
    await expect
      .poll(
        async () => {
          await f.gw.gw.deps.audit.flush();
          return (await auditEventsAbout(f.seed, "/namespaces/default/pods/worker/attach")).map((e) => [e.action, e.statementKind, e.outcome, (e.details as { status?: number }).status ?? null]);
        },
        { timeout: 5000 },
      )
      .toEqual([
        ["request.start", "create pods/attach", "ok", null],
        ["request", "create pods/attach", "ok", 101],
      ]);
    await expect.poll(() => latestRecording(who.name), { timeout: 5000 }).toContain("attached-42");
    expect(await latestRecording(who.name)).toContain('"i","echo attached-$((40 + 2))');
  });

  it("a deny rule on create pods/attach refuses it with a Status kubectl prints; nothing reaches the pod", async () => {
    const before = f.api.seen.filter((s) => s.url.includes("/namespaces/prod/pods/worker/attach")).length;
    const r = await f.kubectl("cluster", ["-n", "prod", "attach", "-i", "worker"], { input: "echo should-not-run\n" });
    expect(r.code).not.toBe(0);
    expect(r.stdout).not.toContain("should-not-run");
    expect(r.stderr).toContain('Gatehouse denied this request: rule "no-attach-in-prod" matches this request');
    expect(f.api.seen.filter((s) => s.url.includes("/namespaces/prod/pods/worker/attach")).length).toBe(before);
  });

  it("kubectl attach -it in a real terminal: the pod's shell with a TTY, its window size and what was typed recorded", async () => {
    const who = await seedIdentity(f.seed, "kube-attach-tty", ["platform"]);
    const { term, screen, exited } = kubectlTerminal(f.kubeconfig("cluster", who.key), ["attach", "-it", "console"], { cols: 90, rows: 28 });
    try {
      await expect.poll(screen, { timeout: 15_000 }).toContain("If you don't see a command prompt");
      term.write("\r");
      await expect.poll(screen, { timeout: 10_000 }).toMatch(/\$ $/);
      term.write("echo attach-tty-$((6 * 7)) $(tty)\r");
      await expect.poll(screen, { timeout: 10_000 }).toMatch(/attach-tty-42 \/dev\/pts\/\d+/);
      term.write("exit\r");
      expect(await exited).toBe(0);
    } finally {
      term.kill();
    }
    await expect.poll(() => latestRecording(who.name), { timeout: 5000 }).toMatch(/attach-tty-42 \/dev\/pts/);
    expect(await latestRecording(who.name)).toContain('"r","90x28"');
  });
});
