import { randomBytes, randomUUID } from "node:crypto";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pty from "@lydell/node-pty";
import ssh2 from "ssh2";
import { and, eq } from "drizzle-orm";
import type { WebSocket } from "ws";
import type { GatewayDeps } from "../../gateway-deps";
import type { OpenedTerminal } from "../../../core/terminal/terminal-tickets";
import type { Recorder } from "../../../core/recordings/recorder";
import type { Admission } from "../../pipeline/admit";
import { openSession, type SessionScope } from "../../pipeline/session-scope";
import { sessions } from "../../../drizzle/schema/index";
import { fail } from "./terminal-socket";
import { SecretPrompt } from "../../pipeline/shell-lines/secret-prompt";

type Spec = OpenedTerminal & {
  runs: "psql" | "ssh-shell";
  clientAddr: string | null;
  host: string;
  ports: { pg: number; ssh: number };
  maxLifetime: { ms: number; reason: string };
};
/** What the terminal runs: output to the browser, input and resizes from it. */
type Process = {
  write: (data: string) => void;
  resize: (cols: number, rows: number) => void;
  kill: () => void;
  pause: () => void;
  resume: () => void;
  onData: (f: (d: string) => void) => void;
  onExit: (f: (code: number | null) => void) => void;
};

// After a Ctrl-C (cancels a running statement, clears a half-typed line): Ctrl-U, then Ctrl-D on the empty
// line (\q is a backslash command, refused in restricted mode), so psql sends Terminate and exits.
const PSQL_QUIT = "\x15\x04";
// How long psql gets to quit before it is killed (a statement held for review does not read its terminal).
const PSQL_QUIT_GRACE_MS = 3000;
// Output waits while the browser is this far behind (a `select` of a million rows must not fill memory).
const HIGH_WATER = 1 << 20;

/**
 * One browser terminal: psql (in a pseudo-terminal) or an SSH shell, logged in to this gateway's
 * own listener with the terminal's credential. A Postgres terminal is its own session with a
 * terminal recording (the statements it runs are the inner session's timeline); an SSH shell is
 * recorded by the SSH listener like any other, so its terminal keeps no record of its own.
 */
export async function startTerminalSession(ws: WebSocket, early: Array<[Buffer, boolean]>, deps: GatewayDeps, admission: Admission, t: Spec): Promise<void> {
  const { connection } = admission;
  const sessionId = randomUUID();
  if (t.runs === "psql") {
    const problem = psqlProblem();
    if (problem) return fail(ws, problem);
  }
  const proc = t.runs === "psql" ? runPsql(t, connection.name, sessionId) : await runSsh(t, connection.name).catch((err: Error) => err);
  if (proc instanceof Error) return fail(ws, `The SSH shell could not be opened: ${proc.message}`);
  let over = false;
  const exited = new Promise<number | null>((resolve) => proc.onExit((code) => ((over = true), resolve(code))));
  // The browser may have left while the terminal was opening, or leave at any time after: what runs
  // for it ends with it (else a shell and its session would stay open with nobody behind them).
  // psql is asked to quit first, so its Postgres session ends as closed by the person (a Terminate),
  // not as a client that vanished.
  let personLeft = false;
  const leave = () => {
    if (over) return;
    personLeft = true;
    if (t.runs !== "psql") return proc.kill();
    // Ctrl-C first, alone: the terminal discards what is typed after it until psql has handled it.
    proc.write("\x03");
    setTimeout(() => !over && proc.write(PSQL_QUIT), 300).unref();
    setTimeout(() => !over && proc.kill(), PSQL_QUIT_GRACE_MS).unref();
  };
  ws.once("close", leave);
  if (ws.readyState !== ws.OPEN) leave();
  const recorded = t.runs === "psql" && connection.settings.recording !== false;
  let scope: SessionScope;
  try {
    scope = await openSession(deps, admission, {
      id: sessionId,
      protocol: "terminal",
      clientAddr: t.clientAddr,
      clientApp: `browser terminal (${t.runs === "psql" ? "psql" : "ssh shell"})`,
      clientUser: t.consoleUser,
      persist: recorded,
      maxLifetime: t.maxLifetime,
      // The recording (and this session's events) hold what the connection's detectors leave.
      start: { action: "terminal.open", message: `browser terminal (${t.runs === "psql" ? "psql" : "ssh shell"}) opened by ${t.consoleUser}` },
      kill: (reason) => {
        if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ type: "exit", message: `session ended: ${reason}` }));
        proc.kill();
        ws.close(1000);
      },
    });
  } catch (err) {
    proc.kill();
    deps.log(`terminal: could not record: ${(err as Error).message}`);
    return fail(ws, "This terminal cannot be recorded right now, so it does not open; try again shortly.");
  }
  let recorder: Recorder | null = null;
  if (recorded) {
    try {
      recorder = await scope.record({ width: t.cols, height: t.rows, title: `${t.identityName} @ ${connection.name} (browser psql)`, env: { TERM: "xterm-256color" } });
    } catch (err) {
      proc.kill();
      deps.log(`terminal: could not record: ${(err as Error).message}`);
      await scope.end({ failed: true, reason: "the terminal could not be recorded", bytesIn: 0, bytesOut: 0 });
      return fail(ws, "This terminal cannot be recorded right now, so it does not open; try again shortly.");
    }
  }

  let paused = false;
  let bytesIn = 0;
  let bytesOut = 0;
  // Keystrokes typed at a password prompt (psql's \password, an ssh passphrase) are left out of the recording.
  const prompt = new SecretPrompt();
  proc.onData((d) => {
    bytesOut += Buffer.byteLength(d);
    prompt.see(d);
    recorder?.output(d);
    if (ws.readyState !== ws.OPEN) return;
    ws.send(Buffer.from(d));
    if (paused || ws.bufferedAmount <= HIGH_WATER) return;
    paused = true;
    proc.pause();
    const wait = setInterval(() => {
      if (ws.readyState === ws.OPEN && ws.bufferedAmount > HIGH_WATER / 4) return;
      clearInterval(wait);
      paused = false;
      proc.resume();
    }, 20);
  });
  // Keystrokes reach the terminal in order, also when one waits to learn whether a statement is held.
  let typing = Promise.resolve();
  const type = async (text: string) => {
    if (t.runs !== "psql" || !text.includes("\x04")) return proc.write(text);
    const held = await heldPsqlStatements(deps, sessionId).catch(() => []);
    if (!held.length) return proc.write(text);
    // psql waits for a held statement without reading its terminal, so Ctrl-D would wait behind the
    // review. Someone pressing it wants out: psql's own Ctrl-C withdraws the statement (its cancel:
    // the review is cancelled by the client), then psql, back at its prompt, reads the Ctrl-D and quits.
    proc.write("\x03");
    await Promise.all(held);
    await new Promise((resolve) => setTimeout(resolve, 300));
    proc.write("\x04");
  };
  const onMessage = (data: Buffer, isBinary: boolean) => {
    const text = data.toString();
    if (isBinary) {
      bytesIn += data.length;
      if (!prompt.active()) recorder?.input(text);
      typing = typing.then(() => type(text)).catch(() => {});
      return;
    }
    try {
      const m = JSON.parse(text) as { type?: string; cols?: number; rows?: number };
      if (m.type === "resize" && Number.isInteger(m.cols) && Number.isInteger(m.rows) && m.cols! > 0 && m.rows! > 0 && m.cols! <= 500 && m.rows! <= 200) {
        proc.resize(m.cols!, m.rows!);
        recorder?.resize(m.cols!, m.rows!);
      }
    } catch {
      // not a control message: ignored
    }
  };
  ws.removeAllListeners("message");
  for (const [d, b] of early.splice(0)) onMessage(d, b);
  ws.on("message", onMessage);
  const code = await exited;
  if (ws.readyState === ws.OPEN) {
    ws.send(JSON.stringify({ type: "exit", code }));
    ws.close(1000);
  }
  const reason = personLeft ? "closed by the person (the browser terminal was closed)" : `${t.runs === "psql" ? "psql" : "the shell"} exited (code ${code ?? "?"})`;
  await scope.end({ failed: false, reason, bytesIn, bytesOut });
}

/** What this gateway holds for review from the Postgres session(s) of a browser psql terminal. */
async function heldPsqlStatements(deps: GatewayDeps, terminalSessionId: string) {
  const inner = await deps.db
    .select({ id: sessions.id })
    .from(sessions)
    .where(and(eq(sessions.clientApp, `gatehouse-terminal-${terminalSessionId}`), eq(sessions.status, "active")));
  return deps.reviews.heldFor(inner.map((r) => r.id));
}

// psql gained \restrict in these releases (and every later major version).
const RESTRICT_SINCE: Record<number, number> = { 13: 22, 14: 19, 15: 14, 16: 10, 17: 6 };
let psqlChecked: string | null | undefined;

/** Why this host's psql cannot be offered safely (absent, or without \restrict), or null. Fail closed. */
export function psqlProblem(): string | null {
  if (psqlChecked !== undefined) return psqlChecked;
  let version = "";
  try {
    version = execFileSync("psql", ["--version"], { encoding: "utf8", timeout: 5000 });
  } catch {
    return (psqlChecked = "psql is not installed on the gateway's host, so there is no Postgres browser terminal here.");
  }
  const m = /(\d+)\.(\d+)/.exec(version);
  const [major, minor] = m ? [Number(m[1]), Number(m[2])] : [0, 0];
  const ok = major >= 18 || (RESTRICT_SINCE[major] !== undefined && minor >= RESTRICT_SINCE[major]);
  psqlChecked = ok ? null : `The gateway's psql (${version.trim()}) is too old to run safely in the browser: it needs \\restrict (PostgreSQL client 15.14, 16.10, 17.6 or later).`;
  return psqlChecked;
}

/**
 * psql runs on the gateway's own host, where its meta-commands could run shell commands (`\!`,
 * `\o |cmd`, `\e`), read or write the host's files (`\i`, `\o`, `\copy`, `\lo_import`: the secret
 * key, the database URL) or open a pager with a shell escape. So it starts in psql's restricted mode
 * (`\restrict` with a random key nobody sees, from a private startup file: only `\unrestrict <key>`
 * would lift it), with no pager, no history file and no .psqlrc of anyone else. SQL is unaffected;
 * Ctrl-D quits.
 */
function runPsql(t: Spec, connectionName: string, terminalSessionId: string): Process {
  // The Postgres session it opens names the terminal session (with its recording) as its application.
  const conninfo = `host=${t.host} port=${t.ports.pg} dbname=${connectionName} user=${t.identityName} sslmode=disable application_name=gatehouse-terminal-${terminalSessionId}`;
  const dir = mkdtempSync(path.join(tmpdir(), "gatehouse-psql-"));
  const rc = path.join(dir, "psqlrc");
  writeFileSync(rc, `\\restrict ${randomBytes(24).toString("hex")}\n`, { mode: 0o600 });
  const p = pty.spawn("psql", [conninfo, "-P", "pager=off"], {
    name: "xterm-256color",
    cols: t.cols,
    rows: t.rows,
    cwd: dir,
    // Only what psql needs: never the gateway's own environment (secrets, DATABASE_URL).
    env: {
      PGPASSWORD: t.credential,
      TERM: "xterm-256color",
      LANG: "C.UTF-8",
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: dir,
      PSQLRC: rc,
      PSQL_HISTORY: "/dev/null",
      PAGER: "",
      PSQL_PAGER: "",
      PGCONNECT_TIMEOUT: "10",
    },
  });
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  // Read at start-up only: gone before anyone could look for it.
  setTimeout(cleanup, 5000).unref();
  return {
    write: (d) => p.write(d),
    resize: (c, r) => p.resize(c, r),
    kill: () => p.kill(),
    pause: () => p.pause(),
    resume: () => p.resume(),
    onData: (f) => void p.onData(f),
    onExit: (f) => void p.onExit((e) => (cleanup(), f(e.exitCode))),
  };
}

async function runSsh(t: Spec, connectionName: string): Promise<Process> {
  const client = new ssh2.Client();
  await new Promise<void>((resolve, reject) => {
    client.once("ready", () => resolve());
    client.once("error", reject);
    client.connect({ host: t.host, port: t.ports.ssh, username: connectionName, password: t.credential, readyTimeout: 15_000 });
  });
  const stream = await new Promise<ssh2.ClientChannel>((resolve, reject) =>
    client.shell({ term: "xterm-256color", cols: t.cols, rows: t.rows, height: 0, width: 0 }, (err, s) => (err ? reject(err) : resolve(s))),
  );
  const decoder = new TextDecoder();
  return {
    write: (d) => stream.write(d),
    resize: (c, r) => stream.setWindow(r, c, 0, 0),
    kill: () => client.end(),
    pause: () => stream.pause(),
    resume: () => stream.resume(),
    onData: (f) => {
      stream.on("data", (b: Buffer) => f(decoder.decode(b, { stream: true })));
      stream.stderr.on("data", (b: Buffer) => f(decoder.decode(b, { stream: true })));
    },
    onExit: (f) => {
      let code: number | null = null;
      stream.on("exit", (c: number | null) => (code = c));
      stream.once("close", () => client.end());
      client.once("close", () => f(code));
    },
  };
}
