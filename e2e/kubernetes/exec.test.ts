import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { and, desc, eq } from "drizzle-orm";
import { tmpdir } from "node:os";
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { sessions } from "../../drizzle/schema/index";
import { startKubeFixture, type KubeFixture } from "./kube-fixture";
import { kubectlTerminal, startKubectl } from "./kubectl";
import { activeSessionId, auditEventsAbout, decidePendingReview, killSession, seedIdentity, seedMasking, seedPolicy } from "../support/seed";

// `kubectl exec` through the gateway: WebSocket v5.channel.k8s.io relayed to the stand-in API
// server's pod exec (which runs the command for real on this machine: e2e/kubernetes/stand-in/).
const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

describe("[KUBERNETES][EXEC] kubectl exec through the gateway is judged, relayed and recorded", () => {
  let f: KubeFixture;
  beforeAll(async () => {
    f = await startKubeFixture(["cluster"]);
    // The policy is in place before the gateway first reads the connection's (later changes arrive by the bus, a moment later).
    await seedPolicy(f.seed, "cluster", {
      defaultAction: "allow",
      rules: [
        { name: "no-exec-in-prod", action: "deny", match: { resources: ["pods/exec"], namespaces: ["prod"] } },
        { name: "exec-in-staging-reviewed", action: "review", match: { kinds: ["create pods/exec"], namespaces: ["staging"] } },
      ],
    });
    for (const ns of ["prod", "staging"]) f.api.seed("namespaces", undefined, { metadata: { name: ns } });
    for (const ns of ["default", "prod", "staging"]) f.api.seed("pods", ns, { metadata: { name: "box" }, spec: { containers: [{ name: "main", image: "busybox" }] } });
  }, 120_000);
  afterAll(async () => {
    if (f) expect(f.api.leaks).toEqual([]);
    await f?.close();
  });
  /** Every recording of a connection's Kubernetes sessions, as asciicast text. */
  const recordingsOf = async (connection: string) => {
    const rows = await f.seed.db
      .select({ id: sessions.id })
      .from(sessions)
      .where(and(eq(sessions.protocol, "kubernetes"), eq(sessions.connectionName, connection)));
    return (await Promise.all(rows.map(async (row) => (await f.gw.cli("sessions", "export", row.id, "--format", "asciicast")).stdout))).join("\n");
  };

  it("runs a command with its output, stderr and exit status, and an interactive shell fed on stdin; both recorded", async () => {
    const once = await f.kubectl("cluster", ["exec", "box", "--", "sh", "-c", "echo exec-output-1; echo exec-err >&2; exit 3"]);
    expect(once.stdout).toBe("exec-output-1\n");
    expect(once.stderr).toContain("exec-err");
    expect(once.code).toBe(3);
    const shell = await f.kubectl("cluster", ["exec", "-i", "box", "--", "sh"], { input: "echo typed-$((40 + 2))\nexit 0\n" });
    expect(shell.stdout).toBe("typed-42\n");
    // Each exec is audited when its connection closes, a moment after kubectl has exited.
    await expect
      .poll(
        async () => {
          await f.gw.gw.deps.audit.flush();
          return (await auditEventsAbout(f.seed, "/namespaces/default/pods/box/exec")).map((e) => [e.action, e.statementKind, e.outcome, (e.details as { status?: number }).status ?? null]);
        },
        { timeout: 5000 },
      )
      .toEqual([
        ["request.start", "create pods/exec", "ok", null],
        ["request", "create pods/exec", "ok", 101],
        ["request.start", "create pods/exec", "ok", null],
        ["request", "create pods/exec", "ok", 101],
      ]);
    const recorded = async () => {
      const rows = await f.seed.db
        .select({ id: sessions.id })
        .from(sessions)
        .where(and(eq(sessions.protocol, "kubernetes"), eq(sessions.identityName, f.agent.name)));
      return (await Promise.all(rows.map(async (r) => (await f.gw.cli("sessions", "export", r.id, "--format", "asciicast")).stdout))).join("\n");
    };
    await expect.poll(recorded, { timeout: 5000 }).toContain("typed-42");
    expect(await recorded()).toContain("exec-output-1");
    expect(await recorded()).toContain('"i","echo typed-$((40 + 2))');
  });

  it("a deny rule on pods/exec in prod refuses it; nothing runs", async () => {
    const before = f.api.seen.filter((s) => s.url.includes("/namespaces/prod/pods/box/exec")).length;
    const r = await f.kubectl("cluster", ["-n", "prod", "exec", "box", "--", "sh", "-c", "echo should-not-run"]);
    expect(r.code).not.toBe(0);
    expect(r.stdout).not.toContain("should-not-run");
    expect(r.stderr).toContain('Error from server (Forbidden): Gatehouse denied this request: rule "no-exec-in-prod" matches this request');
    expect(f.api.seen.filter((s) => s.url.includes("/namespaces/prod/pods/box/exec")).length).toBe(before);
    await f.gw.gw.deps.audit.flush();
    expect((await auditEventsAbout(f.seed, "/namespaces/prod/pods/box/exec")).map((e) => e.outcome)).toContain("denied");
  });

  it("an exec a review rule holds runs once approved; rejected, kubectl prints the reason", async () => {
    const approved = f.kubectl("cluster", ["-n", "staging", "exec", "box", "--", "sh", "-c", "echo approved-exec"]);
    await decidePendingReview(f.seed, "/namespaces/staging/pods/box/exec", { approve: true });
    expect((await approved).stdout).toBe("approved-exec\n");
    const rejected = f.kubectl("cluster", ["-n", "staging", "exec", "box", "--", "sh", "-c", "echo rejected-exec"]);
    await decidePendingReview(f.seed, "/namespaces/staging/pods/box/exec", { reject: "use the runbook" });
    const r = await rejected;
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("Gatehouse did not run this request: rejected by dana@example.com: use the runbook");
  });

  it("an admin kill ends a running exec, and kubectl prints why", async () => {
    const who = await seedIdentity(f.seed, "kube-killed", ["platform"]);
    const running = startKubectl(f.kubeconfig("cluster", who.key), ["exec", "box", "--", "sh", "-c", "echo started; sleep 30; echo not-reached"]);
    // Killed once its first line has reached kubectl (the stand-in sees the request before the gateway relays that line).
    await running.waitFor(/started/);
    const session = await activeSessionId(f.seed, who.name, "kubernetes");
    // kubectl keeps its discovery connection open too: the exec is the session that started last.
    await killSession(f.seed, session);
    const r = await running.exited;
    expect(r.stdout).toBe("started\n");
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("Gatehouse ended this session: an administrator ended this session");
  });

  it("on a connection with masking rules, what the pod prints reaches kubectl (and the recording) with the detectors applied", async () => {
    await f.addCluster("masked-cluster");
    await seedMasking(f.seed, "masked-cluster", { detectors: { builtIn: ["email"], style: "redact" } });
    const r = await f.kubectl("masked-cluster", ["exec", "box", "--", "sh", "-c", "echo contact ann.smith@example.com now; echo second line; echo err bob@example.org >&2; exit 2"]);
    expect(r.stdout).toBe("contact [REDACTED:email] now\nsecond line\n");
    expect(r.stderr).toContain("err [REDACTED:email]");
    expect(r.stderr).not.toContain("bob@example.org");
    expect(r.code).toBe(2);
    // The recording is complete once the exec's connection has closed, a moment after kubectl exits.
    const recorded = () => recordingsOf("masked-cluster");
    await expect.poll(recorded, { timeout: 5000 }).toContain("contact [REDACTED:email] now");
    expect(await recorded()).not.toContain("ann.smith@example.com");
  });

  it("kubectl exec -it in a real terminal: a shell with a TTY, its window size and what was typed recorded", async () => {
    const who = await seedIdentity(f.seed, "kube-tty", ["platform"]);
    const { term, screen, exited } = kubectlTerminal(f.kubeconfig("cluster", who.key), ["exec", "-it", "box", "--", "sh"]);
    try {
      await expect.poll(screen, { timeout: 15_000 }).toMatch(/\$ $/);
      term.write("echo tty-$((2 * 21)) $(tty)\r");
      await expect.poll(screen, { timeout: 10_000 }).toMatch(/tty-42 \/dev\/pts\/\d+/);
      term.write("exit\r");
      expect(await exited).toBe(0);
    } finally {
      term.kill();
    }
    const recorded = async () => {
      const [row] = await f.seed.db
        .select({ id: sessions.id })
        .from(sessions)
        .where(and(eq(sessions.protocol, "kubernetes"), eq(sessions.identityName, who.name)))
        .orderBy(desc(sessions.startedAt))
        .limit(1);
      return row ? (await f.gw.cli("sessions", "export", row.id, "--format", "asciicast")).stdout : "";
    };
    await expect.poll(recorded, { timeout: 5000 }).toMatch(/tty-42 \/dev\/pts/);
    expect(await recorded()).toContain('"r","100x30"');
    expect(await recorded()).toContain('"i","e');
  });

  it("kubectl cp (exec of tar) moves a binary file into the pod and back with the same sha256: stdin and stdout frames pass unchanged", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "gatehouse-kube-cp-"));
    try {
      const original = randomBytes(1024 * 1024 + 7);
      writeFileSync(path.join(dir, "original.bin"), original);
      mkdirSync(path.join(dir, "in-pod"));
      // The stand-in's pod runs tar on this machine, so the pod's /in-pod is a real folder here.
      const up = await f.kubectl("cluster", ["cp", path.join(dir, "original.bin"), `box:${path.join(dir, "in-pod", "copied.bin")}`]);
      expect(up.stderr).toBe("");
      expect(sha256(readFileSync(path.join(dir, "in-pod", "copied.bin")))).toBe(sha256(original));
      const down = await f.kubectl("cluster", ["cp", `box:${path.join(dir, "in-pod", "copied.bin")}`, path.join(dir, "back.bin")]);
      expect(down.code).toBe(0);
      expect(sha256(readFileSync(path.join(dir, "back.bin")))).toBe(sha256(original));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it("kubectl cp from a pod on a masked connection copies the file unchanged (an archive masking would corrupt), and masks any other exec of it", async () => {
    await f.addCluster("masked-cp");
    await seedMasking(f.seed, "masked-cp", { detectors: { builtIn: ["email"], style: "redact" } });
    const dir = mkdtempSync(path.join(tmpdir(), "gatehouse-kube-cp-masked-"));
    try {
      const original = Buffer.concat([randomBytes(64 * 1024), Buffer.from("\nwrite to ann.smith@example.com\n"), randomBytes(1000)]);
      const file = path.join(dir, "contacts.bin");
      writeFileSync(file, original);
      const list = path.join(dir, "list");
      writeFileSync(list, `${file}\n`);
      // Before, kubectl wrote a damaged file (the address redacted inside the tar stream) and exited 0.
      const down = await f.kubectl("masked-cp", ["cp", `box:${file}`, path.join(dir, "back.bin")]);
      expect(down.code, down.stderr).toBe(0);
      expect(sha256(readFileSync(path.join(dir, "back.bin")))).toBe(sha256(original));
      // The archive is not recorded (a recording is stored masked; this stream is not).
      const casts = () => recordingsOf("masked-cp");
      await expect.poll(casts, { timeout: 5000 }).toContain("the archive is not recorded");
      expect(await casts()).not.toContain("ann.smith@example.com");
      // Only tar's exact `cf - <path>` form passes: anything else that prints the file is masked.
      for (const command of [
        ["cat", file],
        ["sh", "-c", `tar cf - ${file} >/dev/null; cat ${file}`],
        ["tar", "cf", "-", `--files-from=${list}`],
      ]) {
        const r = await f.kubectl("masked-cp", ["exec", "box", "--", ...command]);
        expect(r.stdout, command.join(" ")).not.toContain("ann.smith@example.com");
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
