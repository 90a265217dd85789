import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { startKubeFixture, type KubeFixture } from "./kube-fixture";
import { kubectlTerminal } from "./kubectl";
import { auditEventsOf, decidePendingReview, seedIdentity, seedPolicy } from "../support/seed";

// Lines typed into `kubectl exec -i ... -- sh` and `kubectl attach -it` shells, audited one event per
// line and judged as an SSH shell's are (the shared gateway/pipeline/shell-lines). The stand-in API
// server runs the shells for real on this machine (no Kubernetes API server runs here), so a refused
// `rm` that reached it would really delete the file.
describe("[KUBERNETES][SHELL LINES] lines typed into exec and attach shells are audited and judged", () => {
  let f: KubeFixture;
  let dir: string;
  const commands = async (identityName: string) => {
    await f.gw.gw.deps.audit.flush();
    return (await auditEventsOf(f.seed, "command", "cluster")).filter((e) => e.identityName === identityName).map((e) => [e.statement, e.outcome]);
  };
  /** `kubectl attach -it console` in a real terminal, at the shell's prompt. */
  const attachConsole = async (key: string) => {
    const { term, screen, exited } = kubectlTerminal(f.kubeconfig("cluster", key), ["attach", "-it", "console"]);
    try {
      await expect.poll(screen, { timeout: 15_000 }).toContain("If you don't see a command prompt");
      term.write("\r");
      await expect.poll(screen, { timeout: 10_000 }).toMatch(/\$ $/);
    } catch (err) {
      term.kill();
      throw err;
    }
    return { term, screen, exited };
  };
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "gatehouse-kube-lines-"));
    f = await startKubeFixture(["cluster"]);
    await seedPolicy(f.seed, "cluster", {
      defaultAction: "allow",
      rules: [
        { name: "no-rm", action: "deny", match: { kinds: ["rm"] } },
        { name: "touch-reviewed", action: "review", match: { kinds: ["touch"] } },
      ],
    });
    f.api.seed("pods", "default", { metadata: { name: "box" }, spec: { containers: [{ name: "main", image: "busybox" }] } });
    f.api.seed("pods", "default", { metadata: { name: "console" }, spec: { containers: [{ name: "main", image: "busybox", stdin: true, tty: true }] } });
  }, 120_000);
  afterAll(async () => {
    if (f) expect(f.api.leaks).toEqual([]);
    await f?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("kubectl exec -i -- sh without a terminal: each line audited, a denied one never reaches the shell, kubectl is told on stderr", async () => {
    const who = await seedIdentity(f.seed, "kube-lines-exec", ["platform"]);
    const keep = path.join(dir, "keep.txt");
    writeFileSync(keep, "precious");
    const r = await f.kubectl("cluster", ["exec", "-i", "box", "--", "sh"], { token: who.key, input: `echo before\nrm -f ${keep}\necho after\n` });
    expect(r.stdout).toBe("before\nafter\n");
    expect(r.stderr).toContain('gatehouse: Gatehouse denied this command: rule "no-rm" matches this command');
    expect(existsSync(keep)).toBe(true);
    await expect
      .poll(() => commands(who.name), { timeout: 5000 })
      .toEqual([
        ["echo before", "ok"],
        [`rm -f ${keep}`, "denied"],
        ["echo after", "ok"],
      ]);
  });

  it("kubectl attach -it: a held line runs once approved, a denied one is refused on the terminal, the shell goes on", async () => {
    const who = await seedIdentity(f.seed, "kube-lines-tty", ["platform"]);
    const made = path.join(dir, "made-after-approval");
    const keep = path.join(dir, "keep-tty.txt");
    writeFileSync(keep, "precious");
    const { term, screen, exited } = await attachConsole(who.key);
    try {
      term.write(`touch ${made}\r`);
      await expect.poll(screen, { timeout: 10_000 }).toContain("Gatehouse is holding this command for approval");
      expect(existsSync(made)).toBe(false);
      await decidePendingReview(f.seed, `touch ${made}`, { approve: true });
      await expect.poll(() => existsSync(made), { timeout: 10_000 }).toBe(true);
      term.write(`rm -f ${keep}\r`);
      await expect.poll(screen, { timeout: 10_000 }).toContain('Gatehouse denied this command: rule "no-rm"');
      term.write("echo still-$((20 + 22))\r");
      await expect.poll(screen, { timeout: 10_000 }).toContain("still-42");
      expect(existsSync(keep)).toBe(true);
      term.write("exit\r");
      expect(await exited).toBe(0);
    } finally {
      term.kill();
    }
    await expect
      .poll(() => commands(who.name), { timeout: 5000 })
      .toEqual([
        [`touch ${made}`, "ok"],
        [`rm -f ${keep}`, "denied"],
        ["echo still-$((20 + 22))", "ok"],
        ["exit", "ok"],
      ]);
  });

  it("kubectl attach -it: a line typed at a password prompt is judged but not audited as typed", async () => {
    const who = await seedIdentity(f.seed, "kube-lines-secret", ["platform"]);
    const secret = `hunter2-${Date.now().toString(36)}`;
    const { term, screen, exited } = await attachConsole(who.key);
    try {
      // A real prompt with echo off, as sudo's.
      term.write(`bash -c 'read -s -p "Password: " pw; echo; echo "got-\${#pw}"'\r`);
      await expect.poll(screen, { timeout: 10_000 }).toMatch(/[\r\n]Password: $/);
      term.write(`${secret}\r`);
      await expect.poll(screen, { timeout: 10_000 }).toContain(`got-${secret.length}`);
      term.write("exit\r");
      expect(await exited).toBe(0);
    } finally {
      term.kill();
    }
    await expect
      .poll(() => commands(who.name), { timeout: 5000 })
      .toEqual([
        [`bash -c 'read -s -p "Password: " pw; echo; echo "got-\${#pw}"'`, "ok"],
        [null, "ok"],
        ["exit", "ok"],
      ]);
    await f.gw.gw.deps.audit.flush();
    expect(JSON.stringify(await auditEventsOf(f.seed, "command", "cluster"))).not.toContain(secret);
  });
});
