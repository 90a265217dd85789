import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { spawn as spawnPty } from "@lydell/node-pty";
import { and, desc, eq } from "drizzle-orm";
import { sessions } from "../../drizzle/schema/index";
import type { Db, DbHandle } from "../../drizzle/client";
import { startStandInApiServer, type StandInApiServer } from "../kubernetes/stand-in/api-server";
import { kubectlPath, writeKubeconfig } from "../kubernetes/kubectl";
import { expect, stackInfo, storageStateFor, test } from "./support/fixtures";
import { openStackDb } from "./support/seed-recording";

// A real `kubectl exec -it ... -- sh` (in a pseudo-terminal) through the gateway's /k8s/ route to the
// stand-in API server (no Kubernetes API server runs on these machines; its pod runs a real shell),
// then replayed by an auditor in the browser from the session page.
test.use({ storageState: storageStateFor("auditor") });

let api: StandInApiServer;
let dir: string;
let handle: DbHandle;
let db: Db;
test.beforeAll(async () => {
  api = await startStandInApiServer();
  api.seed("pods", "default", { metadata: { name: "box" }, spec: { containers: [{ name: "main", image: "busybox" }] } });
  dir = mkdtempSync(path.join(tmpdir(), "gatehouse-kube-replay-"));
  handle = openStackDb(stackInfo().env.DATABASE_URL);
  db = handle.db;
});
test.afterAll(async () => {
  await api?.stop();
  await handle?.close();
  rmSync(dir, { recursive: true, force: true });
});

test("[SESSIONS][REPLAY][KUBERNETES]: kubectl exec -it is recorded through the gateway and replays in the browser", async ({ page, cli, stack }) => {
  writeFileSync(path.join(dir, "ca.pem"), api.ca);
  const added = await cli("connections", "add", "k8s-replay", "--type", "kubernetes", "--server", api.url, "--ca-file", path.join(dir, "ca.pem"), "--token", api.token);
  expect(added.code, added.stderr).toBe(0);
  expect((await cli("grant", "kube-replayers", "k8s-replay")).code).toBe(0);
  const key = (await cli("keys", "issue", "kube-replay-agent", "--groups", "kube-replayers")).stdout.trim();
  const gatewayCa = readFileSync(path.join(stack.env.GATEHOUSE_DATA_DIR, "tls-cert.pem"), "utf8");
  const kubeconfig = writeKubeconfig(path.join(dir, "kubeconfig"), { server: `https://127.0.0.1:${stack.gatewayHttpPort}/k8s/k8s-replay`, ca: gatewayCa, token: key });

  const term = spawnPty(kubectlPath(), [`--kubeconfig=${kubeconfig}`, "exec", "-it", "box", "--", "sh"], {
    name: "xterm-256color",
    cols: 90,
    rows: 24,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir },
  });
  let screen = "";
  term.onData((d) => (screen += d));
  const exited = new Promise<number>((resolve) => term.onExit(({ exitCode }) => resolve(exitCode)));
  try {
    await expect.poll(() => screen, { timeout: 15_000 }).toMatch(/\$ $/);
    term.write("echo replayed-$((6 * 7)) from the pod\r");
    await expect.poll(() => screen, { timeout: 10_000 }).toContain("replayed-42 from the pod");
    term.write("exit\r");
    expect(await exited).toBe(0);
  } finally {
    term.kill();
  }

  // The recording is complete once the exec's connection has closed, a moment after kubectl exits.
  const sessionId = async () =>
    (
      await db
        .select({ id: sessions.id })
        .from(sessions)
        .where(and(eq(sessions.protocol, "kubernetes"), eq(sessions.identityName, "kube-replay-agent")))
        .orderBy(desc(sessions.startedAt))
        .limit(1)
    )[0]?.id;
  await expect.poll(sessionId, { timeout: 10_000 }).toBeTruthy();
  const id = (await sessionId())!;
  await expect.poll(async () => (await page.request.get(`/api/sessions/${id}/recording`)).status(), { timeout: 10_000 }).toBe(200);

  await page.goto(`/sessions/${id}`);
  const player = page.getByTestId("recording-player");
  await expect(player.locator(".ap-player")).toBeVisible();
  await player.click();
  await expect(player.locator(".ap-term")).toContainText("replayed-42 from the pod", { timeout: 20_000 });
  const cast = await (await page.request.get(`/api/sessions/${id}/recording`)).text();
  // The recording starts at the default size; kubectl's window size follows as a resize event.
  expect(JSON.parse(cast.split("\n")[0])).toMatchObject({ version: 2 });
  expect(cast).toContain('"r","90x24"');
});
