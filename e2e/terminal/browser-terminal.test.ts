import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { desc, eq } from "drizzle-orm";
import { openDb, type DbHandle } from "../../drizzle/client";
import { existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import { identities, recordings, reviews, sessions } from "../../drizzle/schema/index";
import { issueTerminalTicket } from "../../core/terminal/terminal-tickets";
import { startTestGateway, type TestGateway } from "../support/gateway-harness";
import { startSshServer, type SshServer } from "../support/ssh-server";
import { pendingReview } from "../support/pending-review";

// The browser side of the terminal is a WebSocket; here a Node `ws` client stands in for xterm.js
// (the console's browser test drives the real page). Gateway, psql, sshd and PostgreSQL are real.
let gw: TestGateway;
let sshd: SshServer;
let db: DbHandle;
let identityId: string;

type Term = { ws: WebSocket; output: () => string; messages: Array<{ type: string; message?: string; code?: number }>; closed: Promise<number> };
function connect(ticket: string, origin = "http://localhost:3000"): Promise<Term> {
  const ws = new WebSocket(`ws://127.0.0.1:${gw.gw.ports.http}/terminal?ticket=${encodeURIComponent(ticket)}`, { origin });
  let out = "";
  const messages: Term["messages"] = [];
  ws.on("message", (d, binary) => (binary ? (out += d.toString()) : messages.push(JSON.parse(d.toString()))));
  const closed = new Promise<number>((r) => ws.once("close", (code) => r(code)));
  return new Promise((resolve, reject) => {
    ws.once("open", () => resolve({ ws, output: () => out, messages, closed }));
    ws.once("unexpected-response", (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once("error", reject);
  });
}
const ticketFor = (connectionName: string) => issueTerminalTicket(db.db, { identityId, groups: ["ops"], connectionName, consoleUser: "pat@example.com", cols: 100, rows: 30 });

beforeAll(async () => {
  sshd = await startSshServer();
  gw = await startTestGateway();
  db = openDb(gw.env.DATABASE_URL, { max: 2 });
  await gw.setupAccess({ connection: "pg-term", group: "ops", identity: "pat" });
  await gw.cli("connections", "add", "ssh-term", "--type", "ssh", "--host", "127.0.0.1", "--port", String(sshd.port), "--user", sshd.user, "--private-key-file", sshd.clientKeyFile);
  await gw.cli("grant", "ops", "ssh-term");
  identityId = (await db.db.select({ id: identities.id }).from(identities).where(eq(identities.name, "pat")))[0].id;
}, 60_000);
afterAll(async () => {
  await db?.close();
  await gw?.close();
  await sshd?.stop();
});

describe("[TERMINAL] browser terminal over WebSocket", () => {
  it("runs psql through the gateway as the person, records the terminal, and closes when psql quits", async () => {
    const { ticket } = await ticketFor("pg-term");
    const t = await connect(ticket);
    await expect.poll(t.output, { timeout: 10_000 }).toMatch(/pg-term=>/);
    t.ws.send(Buffer.from("select 20 + 22 as answer;\r"));
    await expect.poll(t.output, { timeout: 10_000 }).toMatch(/answer\s*\r\n-+\r\n\s*42/);
    // psql runs on the gateway's host: its meta-commands (shell escapes, local files) are off.
    t.ws.send(Buffer.from("\\! echo escaped-$((40+2))\r\\i /etc/hostname\r\\o /tmp/gatehouse-terminal-wrote\r\\q\r"));
    await expect.poll(() => t.output().split("backslash commands are restricted").length - 1, { timeout: 10_000 }).toBe(4);
    expect(t.output()).not.toContain("escaped-42");
    t.ws.send(Buffer.from("\x04")); // Ctrl-D quits
    expect(await t.closed).toBe(1000);
    expect(t.messages.at(-1)).toMatchObject({ type: "exit", code: 0 });
    const audit = (await gw.cli("audit", "list", "--json")).stdout;
    expect(audit).toContain('"statement":"select 20 + 22 as answer;"');
    const [outer] = await db.db.select().from(sessions).where(eq(sessions.protocol, "terminal"));
    expect(outer).toMatchObject({ identityName: "pat", connectionName: "pg-term", clientUser: "pat@example.com" });
    const [inner] = await db.db.select().from(sessions).where(eq(sessions.protocol, "postgres"));
    expect(inner.clientApp).toBe(`gatehouse-terminal-${outer.id}`);
    await expect.poll(async () => (await gw.cli("sessions", "export", outer.id)).stdout, { timeout: 5000 }).toContain("42");
    expect((await db.db.select().from(recordings).where(eq(recordings.sessionId, outer.id)))[0]).toMatchObject({ width: 100, height: 30 });
  });

  it("opens an SSH shell with the same pipeline, and resizes it", async () => {
    const { ticket } = await ticketFor("ssh-term");
    const t = await connect(ticket);
    t.ws.send(JSON.stringify({ type: "resize", cols: 90, rows: 20 }));
    t.ws.send(Buffer.from("stty size; echo shell-$((6*7))\r"));
    await expect.poll(t.output, { timeout: 10_000 }).toContain("shell-42");
    expect(t.output()).toContain("20 90");
    t.ws.send(Buffer.from("exit\r"));
    expect(await t.closed).toBe(1000);
    const ssh = (await db.db.select().from(sessions).where(eq(sessions.protocol, "ssh")))[0];
    expect(ssh.identityName).toBe("pat");
  });

  it("keeps what is typed at a password prompt out of the SSH shell's recording and audit", async () => {
    const secret = `hunter2-${Date.now().toString(36)}`;
    const { ticket } = await ticketFor("ssh-term");
    const t = await connect(ticket);
    t.ws.send(Buffer.from(`bash -c 'read -s -p "Password: " pw; echo; echo "got-\${#pw}"'\r`));
    await expect.poll(t.output, { timeout: 10_000 }).toMatch(/[\r\n]Password: $/);
    t.ws.send(Buffer.from(`${secret}\r`));
    await expect.poll(t.output, { timeout: 10_000 }).toContain(`got-${secret.length}`);
    t.ws.send(Buffer.from("exit\r"));
    expect(await t.closed).toBe(1000);
    // An SSH terminal is recorded by its SSH session (a psql terminal by the terminal itself).
    const [ssh] = await db.db.select().from(sessions).where(eq(sessions.protocol, "ssh")).orderBy(desc(sessions.startedAt)).limit(1);
    await expect.poll(async () => (await gw.cli("sessions", "export", ssh.id)).stdout, { timeout: 5000 }).toContain(`got-${secret.length}`);
    expect((await gw.cli("sessions", "export", ssh.id)).stdout).not.toContain(secret);
    const audit = (await gw.cli("audit", "list", "--json")).stdout;
    expect(audit).toContain("typed at a password prompt: not stored");
    expect(audit).not.toContain(secret);
  });

  it("a ticket works once; another site's page cannot open one; a connection without access is refused", async () => {
    const { ticket } = await ticketFor("pg-term");
    await expect(connect(ticket, "https://evil.example")).rejects.toThrow("HTTP 403");
    const first = await connect(ticket);
    await expect.poll(first.output, { timeout: 10_000 }).toMatch(/pg-term=>/);
    first.ws.send(Buffer.from("\x04"));
    await first.closed;
    const again = await connect(ticket);
    expect(await again.closed).toBe(4401);
    expect(again.messages[0].message).toContain("not valid any more");
    const denied = await connect((await ticketFor("no-such-connection")).ticket);
    expect(await denied.closed).toBe(4403);
    expect(denied.messages[0].message).toContain('Connection "no-such-connection" does not exist');
  });

  it("a held line or statement: Ctrl-C withdraws its review and the terminal goes on; Ctrl-D withdraws it and ends the terminal", async () => {
    const apply = async (connection: string, rule: object) => {
      const file = path.join(sshd.dir, `${connection}-policy.json`);
      writeFileSync(file, JSON.stringify({ rules: [rule] }));
      expect((await gw.cli("policies", "apply", connection, "-f", file)).code).toBe(0);
    };
    await apply("ssh-term", { name: "hold-touch", action: "review", match: { kinds: ["touch"] } });
    await apply("pg-term", { name: "hold-truncate", action: "review", match: { kinds: ["TRUNCATE"] } });
    await new Promise((r) => setTimeout(r, 1000));
    const reviewOf = async (id: string) => (await db.db.select().from(reviews).where(eq(reviews.id, id)))[0];
    const withdrawn = { status: "cancelled", decisionReason: "cancelled by the client" };

    // The SSH shell: the keys reach the gateway's SSH listener, which judges the shell's lines.
    const made = path.join(sshd.dir, "term-held");
    const shell = await connect((await ticketFor("ssh-term")).ticket);
    shell.ws.send(Buffer.from(`touch ${made}\r`));
    const line = await pendingReview(db.db, `touch ${made}`);
    shell.ws.send(Buffer.from("\x03"));
    await expect.poll(shell.output, { timeout: 10_000 }).toContain("Gatehouse did not run this command: cancelled by the client");
    await expect.poll(() => reviewOf(line.id), { timeout: 5_000 }).toMatchObject(withdrawn);
    shell.ws.send(Buffer.from("echo on-$((6*7))\r"));
    await expect.poll(shell.output, { timeout: 10_000 }).toContain("on-42");
    shell.ws.send(Buffer.from(`touch ${made}-2\r`));
    const line2 = await pendingReview(db.db, `touch ${made}-2`);
    shell.ws.send(Buffer.from("\x04"));
    expect(await shell.closed).toBe(1000);
    await expect.poll(() => reviewOf(line2.id), { timeout: 5_000 }).toMatchObject(withdrawn);
    expect(existsSync(made) || existsSync(`${made}-2`)).toBe(false);

    // psql: Ctrl-C is psql's own cancel; Ctrl-D, which psql would not read while it waits, withdraws and quits.
    const psql = await connect((await ticketFor("pg-term")).ticket);
    await expect.poll(psql.output, { timeout: 10_000 }).toMatch(/pg-term=>/);
    psql.ws.send(Buffer.from("truncate term_held_a;\r"));
    const statement = await pendingReview(db.db, "term_held_a");
    psql.ws.send(Buffer.from("\x03"));
    await expect.poll(psql.output, { timeout: 10_000 }).toContain("canceling statement due to user request");
    await expect.poll(() => reviewOf(statement.id), { timeout: 5_000 }).toMatchObject(withdrawn);
    psql.ws.send(Buffer.from("select 6 * 7 as n;\r"));
    await expect.poll(psql.output, { timeout: 10_000 }).toMatch(/n\s*\r\n-+\r\n\s*42/);
    psql.ws.send(Buffer.from("truncate term_held_b;\r"));
    const statement2 = await pendingReview(db.db, "term_held_b");
    psql.ws.send(Buffer.from("\x04"));
    expect(await psql.closed).toBe(1000);
    expect(psql.messages.at(-1)).toMatchObject({ type: "exit", code: 0 });
    await expect.poll(() => reviewOf(statement2.id), { timeout: 5_000 }).toMatchObject(withdrawn);
  });
});
