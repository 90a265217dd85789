import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import { and, eq } from "drizzle-orm";
import { auditEvents } from "../../drizzle/schema/index";
import { decideReview } from "../../core/reviews/decide-review";
import { pendingReview } from "../support/pending-review";
import { startTestGateway, type TestGateway } from "../support/gateway-harness";
import { startSshServer, type SshServer } from "../support/ssh-server";
import { callTool, connectMcp, structured, textOf } from "./mcp-client";

let gw: TestGateway;
let sshd: SshServer;
let key: string;
let url: URL;

beforeAll(async () => {
  sshd = await startSshServer();
  gw = await startTestGateway({ GATEHOUSE_CONSOLE_URL: "https://gatehouse.example" });
  const add = await gw.cli("connections", "add", "ssh-prod", "--type", "ssh", "--host", "127.0.0.1", "--port", String(sshd.port), "--user", sshd.user, "--private-key-file", sshd.clientKeyFile);
  if (add.code !== 0) throw new Error(add.stderr);
  await gw.cli("grant", "ops", "ssh-prod");
  key = (await gw.cli("keys", "issue", "agent-ops", "--groups", "ops")).stdout.trim();
  const policy = path.join(sshd.dir, "policy.json");
  writeFileSync(
    policy,
    JSON.stringify({
      rules: [
        { name: "no-rm", action: "deny", match: { kinds: ["rm"] } },
        { name: "hold-touch", action: "review", match: { kinds: ["touch"] }, approvers: ["dba"] },
      ],
    }),
  );
  const applied = await gw.cli("policies", "apply", "ssh-prod", "-f", policy);
  if (applied.code !== 0) throw new Error(applied.stderr);
  url = new URL(`http://127.0.0.1:${gw.gw.ports.http}/mcp`);
  await new Promise((r) => setTimeout(r, 1000));
}, 60_000);
afterAll(async () => {
  await gw?.close();
  await sshd?.stop();
});

describe("[MCP][EXEC] commands on an SSH connection through the gateway's SSH listener", () => {
  it("returns stdout, stderr and the real exit status; the SSH session audits the command", async () => {
    const client = await connectMcp(url, key);
    expect(structured(await callTool(client, "connections_list")).connections).toEqual([{ name: "ssh-prod", type: "ssh", tools: ["exec"] }]);
    const r = await callTool(client, "exec", { connection: "ssh-prod", command: "echo out-$((40+2)); echo err-line >&2; exit 3" });
    expect(r.isError).toBeFalsy();
    expect(structured(r)).toMatchObject({ stdout: "out-42\n", stderr: "err-line\n", exitStatus: 3, truncated: false });
    const { db } = gw.gw.deps;
    await expect
      .poll(
        async () =>
          (
            await db
              .select()
              .from(auditEvents)
              .where(and(eq(auditEvents.action, "command"), eq(auditEvents.protocol, "ssh")))
          ).map((e) => e.statement),
        { timeout: 5000 },
      )
      .toContain("echo out-$((40+2)); echo err-line >&2; exit 3");
    await expect.poll(async () => (await db.select().from(auditEvents).where(eq(auditEvents.action, "mcp.tool.call"))).map((e) => e.statementKind), { timeout: 5000 }).toContain("exec");
    await client.close();
  });

  it("a denied command is a tool error naming the rule; a held one returns pending, and runs only once approved", async () => {
    const client = await connectMcp(url, key);
    const denied = await callTool(client, "exec", { connection: "ssh-prod", command: "rm -rf /tmp/nothing-here" });
    expect(denied.isError).toBe(true);
    expect(textOf(denied)).toContain("Gatehouse denied this command");

    const made = path.join(sshd.dir, `mcp-made-${Date.now()}`);
    const held = structured(await callTool(client, "exec", { connection: "ssh-prod", command: `touch ${made}` })) as { status: string; reviewId: string; link: string };
    expect(held.status).toBe("pending_approval");
    const review = await pendingReview(gw.gw.deps.db, `touch ${made}`);
    expect(held).toMatchObject({ reviewId: review.id, link: `https://gatehouse.example/reviews/${review.id}` });
    expect(existsSync(made)).toBe(false);
    await decideReview(gw.gw.deps.db, { reviewId: review.id, decision: "approve", decider: { email: "dana@example.com", groups: ["dba"] } });
    const done = await callTool(client, "review_wait", { reviewId: review.id });
    expect(done.isError).toBeFalsy();
    expect(structured(done).exitStatus).toBe(0);
    expect(existsSync(made)).toBe(true);

    // Rejected: review_wait is a tool error with the approver's reason, and nothing ran.
    const other = path.join(sshd.dir, `mcp-rejected-${Date.now()}`);
    const again = structured(await callTool(client, "exec", { connection: "ssh-prod", command: `touch ${other}` })) as { reviewId: string };
    await decideReview(gw.gw.deps.db, { reviewId: again.reviewId, decision: "reject", reason: "no new files today", decider: { email: "dana@example.com", groups: ["dba"] } });
    const refused = await callTool(client, "review_wait", { reviewId: again.reviewId });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toContain("Gatehouse did not run this command: rejected by dana@example.com: no new files today");
    expect(existsSync(other)).toBe(false);
    await client.close();
  });
});
