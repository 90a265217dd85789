import type { ClientChannel, ServerChannel, Session } from "ssh2";
import { SftpAudit } from "./sftp-audit";
import { ShellInput } from "./shell-input";
import { audit, bridge, type PtyRequest, type SshSession } from "./ssh-session";
import { SshTargetError } from "./ssh-target";

// Output of a command run without a terminal is recorded up to this much (file copies are not).
const EXEC_RECORD_LIMIT = 1 << 20;

/**
 * One SSH "session" channel of a client: pty and environment requests are remembered, then a
 * shell, an exec or the sftp subsystem is opened on the target with the same settings and bridged.
 * Exec commands are judged before they run; shell lines as they are entered (best effort).
 */
export function handleSessionChannel(session: Session, s: SshSession): void {
  let pty: PtyRequest | undefined;
  const env: Record<string, string> = {};
  let target: ClientChannel | undefined;
  let onResize: ((cols: number, rows: number) => void) | undefined;
  // While the channel's command is held for review (nothing runs on the target yet), a signal (INT, TERM...) withdraws it.
  let interrupt = () => {};
  const interrupted = new Promise<void>((resolve) => (interrupt = resolve));

  session.on("pty", (accept, _reject, info) => {
    pty = { rows: info.rows, cols: info.cols, height: info.height, width: info.width, term: info.term, modes: info.modes };
    accept?.();
  });
  session.on("window-change", (accept, _reject, info) => {
    if (pty) Object.assign(pty, { rows: info.rows, cols: info.cols, height: info.height, width: info.width });
    target?.setWindow(info.rows, info.cols, info.height, info.width);
    onResize?.(info.cols, info.rows);
    accept?.();
  });
  session.on("env", (accept, _reject, info) => {
    env[info.key] = info.val;
    accept?.();
  });
  session.on("signal", (accept, _reject, info) => {
    if (target) target.signal(info.name);
    else interrupt();
    accept?.();
  });
  session.on("auth-agent", (_accept, reject) => {
    audit(s, { action: "ssh.agent-forwarding.refused", outcome: "denied", message: "agent forwarding is not allowed through Gatehouse" });
    reject?.();
  });
  session.on("x11", (_accept, reject) => {
    audit(s, { action: "ssh.x11.refused", outcome: "denied", message: "X11 forwarding is not allowed through Gatehouse" });
    reject?.();
  });

  session.on("exec", (accept, _reject, info) => {
    const stream = accept();
    void runExec(stream, info.command, s, pty, env, (t) => (target = t), interrupted);
  });
  session.on("shell", (accept) => {
    const stream = accept();
    void runShell(stream, s, pty, env, (t, resize) => ((target = t), (onResize = resize)));
  });
  session.on("subsystem", (accept, reject, info) => {
    if (info.name !== "sftp") {
      audit(s, { action: "ssh.subsystem.refused", outcome: "denied", message: `subsystem ${info.name} is not allowed` });
      return reject?.();
    }
    const stream = accept();
    void runSftp(stream, s, (t) => (target = t), interrupted);
  });
}

/**
 * Judges a command (or `sftp`, for the subsystem) with the connection's policy: a denial or a
 * rejected review is told on stderr with exit status 1 and audited; null then, else the verdict.
 */
async function judged(stream: ServerChannel, s: SshSession, command: string, interrupted?: Promise<void>) {
  const verdict = s.guard.judge(command);
  if (verdict.action === "deny") {
    audit(s, { action: "command", outcome: "denied", statement: command, statementKind: verdict.kind, message: verdict.message });
    fail(stream, `gatehouse: ${verdict.message}`);
    return null;
  }
  if (verdict.action === "review") {
    const refused = await verdict.run((line) => stream.writable && stream.stderr.write(`gatehouse: ${line}\r\n`), closedByClient(stream, s), interrupted);
    if (refused) {
      audit(s, { action: "command", outcome: "denied", statement: command, statementKind: verdict.kind, message: refused });
      fail(stream, `gatehouse: ${refused}`);
      return null;
    }
    if (!stream.writable) return null;
  }
  return verdict;
}

/**
 * Resolves when the client closes the channel or its whole connection (Ctrl-C ends OpenSSH's ssh).
 * ssh2 emits a channel's "close" only once its input has been read, and a held command's input is
 * left unread (it belongs to the command), so a channel the client closed shows as its stderr ending.
 */
function closedByClient(stream: ServerChannel, s: SshSession): Promise<string> {
  return new Promise((resolve) => {
    const gone = () => resolve("the client disconnected");
    stream.once("close", gone);
    stream.stderr.once("finish", gone);
    void s.gone.then(gone);
  });
}

/** Tells the client why nothing runs, on stderr, with exit status `code`. */
function fail(stream: ServerChannel, message: string, code = 1): void {
  if (!stream.writable) return;
  stream.stderr.write(`${message}\r\n`);
  stream.exit(code);
  stream.end();
}

async function targetOr(stream: ServerChannel, s: SshSession) {
  try {
    return await s.target;
  } catch (err) {
    fail(stream, `gatehouse: ${err instanceof SshTargetError ? err.message : `connection "${s.ctx.connectionName}" is unavailable`}`, 255);
    return null;
  }
}

/** The recording (null when off); undefined after telling the client it cannot be recorded: nothing unrecorded runs. */
async function recorderOr(stream: ServerChannel, s: SshSession, pty: PtyRequest | undefined) {
  try {
    // A client without a local terminal (ssh -tt < file) asks for a 0x0 one.
    return await s.recorder({ cols: pty?.cols || 80, rows: pty?.rows || 24 });
  } catch {
    fail(stream, "gatehouse: this session cannot be recorded right now, so it does not run; try again shortly", 255);
    return undefined;
  }
}

function openOnTarget(open: (cb: (err: Error | undefined, ch: ClientChannel) => void) => void): Promise<ClientChannel> {
  return new Promise((resolve, reject) => open((err, ch) => (err ? reject(err) : resolve(ch))));
}

async function runExec(
  stream: ServerChannel,
  command: string,
  s: SshSession,
  pty: PtyRequest | undefined,
  env: Record<string, string>,
  opened: (t: ClientChannel) => void,
  interrupted: Promise<void>,
): Promise<void> {
  const started = Date.now();
  const untrack = track(stream, s);
  const verdict = await judged(stream, s, command, interrupted);
  if (!verdict) return;
  const client = await targetOr(stream, s);
  if (!client) return;
  let t: ClientChannel;
  try {
    t = await openOnTarget((cb) => client.exec(command, { env: env as NodeJS.ProcessEnv, pty: pty ?? false }, cb));
  } catch (err) {
    audit(s, { action: "command", outcome: "error", statement: command, statementKind: verdict.kind, message: (err as Error).message });
    return fail(stream, `gatehouse: the target refused to run the command: ${(err as Error).message}`, 255);
  }
  opened(t);
  stream.pipe(t);
  // scp (and anything else moving files without a terminal) is not recorded as a terminal.
  const isCopy = /^\s*scp\s/.test(command);
  const rec = isCopy ? null : await recorderOr(stream, s, pty);
  if (rec === undefined) return t.close();
  if (rec) rec.input(command + "\r\n");
  let recorded = 0;
  const decoder = new TextDecoder();
  await bridge(stream, t, s, {
    maskOutput: !isCopy,
    beforeExit: (exit) => {
      untrack();
      audit(s, {
        action: "command",
        outcome: exit.code === 0 ? "ok" : "error",
        statement: command,
        statementKind: verdict.kind,
        durationMs: Date.now() - started,
        message: exit.code !== null ? `exit status ${exit.code}` : exit.signal ? `killed by signal ${exit.signal}` : "ended without an exit status",
        details: { exitStatus: exit.code, signal: exit.signal },
      });
    },
    output: rec
      ? (b) => {
          if (!pty && recorded >= EXEC_RECORD_LIMIT) return;
          recorded += b.length;
          rec.output(decoder.decode(b, { stream: true }));
          if (!pty && recorded >= EXEC_RECORD_LIMIT) rec.output("\r\n[gatehouse: output past 1 MiB of a command without a terminal is not recorded]\r\n");
        }
      : undefined,
  });
}

async function runShell(
  stream: ServerChannel,
  s: SshSession,
  pty: PtyRequest | undefined,
  env: Record<string, string>,
  opened: (t: ClientChannel, resize: (c: number, r: number) => void) => void,
): Promise<void> {
  const untrack = track(stream, s);
  const client = await targetOr(stream, s);
  if (!client) return;
  let t: ClientChannel;
  try {
    t = await openOnTarget((cb) => client.shell(pty ?? false, { env: env as NodeJS.ProcessEnv }, cb));
  } catch (err) {
    return fail(stream, `gatehouse: the target refused a shell: ${(err as Error).message}`, 255);
  }
  const rec = await recorderOr(stream, s, pty);
  if (rec === undefined) return t.close();
  opened(t, (cols, rows) => rec?.resize(cols, rows));
  audit(s, { action: "ssh.shell", outcome: "ok", message: pty ? `terminal ${pty.term ?? ""} ${pty.cols}x${pty.rows}` : "shell without a terminal" });
  const decoder = new TextDecoder();
  const lines = new ShellInput();
  // Input waits while a typed command is held for review (or judged), so keystrokes keep their order.
  let queue = Promise.resolve();
  stream.on("data", (data: Buffer) => {
    s.bytes.in += data.length;
    rec?.input(decoder.decode(data, { stream: true }));
    queue = queue.then(() => forwardTyped(data, lines, stream, t, s)).catch(() => {});
  });
  stream.on("end", () => void queue.then(() => t.end()));
  await bridge(stream, t, s, { maskOutput: true, output: rec ? (b) => rec.output(decoder.decode(b, { stream: true })) : undefined });
  untrack();
}

async function forwardTyped(data: Buffer, lines: ShellInput, stream: ServerChannel, t: ClientChannel, s: SshSession): Promise<void> {
  if (!s.guard.active) {
    for (const part of lines.feed(data))
      if (part.line?.text.trim())
        audit(s, { action: "command", outcome: "ok", statement: part.line.text, message: part.line.edited ? "line edited with history or completion: recorded as typed" : null });
    t.write(data);
    return;
  }
  for (const part of lines.feed(data)) {
    if (!part.line) {
      t.write(part.bytes);
      continue;
    }
    const text = part.line.text;
    if (!text.trim()) {
      t.write(part.bytes);
      continue;
    }
    if (part.line.edited) {
      // The shell knows the real line, the gateway does not: run it, and say so in the audit.
      audit(s, {
        action: "command",
        outcome: "ok",
        statement: text,
        message: "line edited with history or completion: not judged (shell guardrails are best effort; use ssh host cmd for enforced rules)",
      });
      t.write(part.bytes);
      continue;
    }
    const v = s.guard.judge(text);
    let refused: string | null = v.action === "deny" ? v.message : null;
    if (v.action === "review") {
      refused = await v.run((line) => stream.writable && stream.write(`\r\n\x1b[33mgatehouse: ${line}\x1b[0m`), closedByClient(stream, s));
    }
    audit(s, { action: "command", outcome: refused ? "denied" : "ok", statement: text, statementKind: v.kind, message: refused });
    if (!refused) {
      if (v.action === "review") stream.write("\r\n");
      t.write(part.bytes);
      continue;
    }
    if (stream.writable) stream.write(`\r\n\x1b[31mgatehouse: ${refused}\x1b[0m\r\n`);
    // Clear the line the shell holds (Ctrl-U) and ask for a new prompt, instead of Enter.
    t.write("\x15\r");
  }
}

async function runSftp(stream: ServerChannel, s: SshSession, opened: (t: ClientChannel) => void, interrupted: Promise<void>): Promise<void> {
  const untrack = track(stream, s);
  // File transfers are a command to the policy: `kinds: ["sftp", "scp"]` denies or holds them
  // (file contents are never masked, so a masked connection may want that).
  if (!(await judged(stream, s, "sftp", interrupted))) return;
  const client = await targetOr(stream, s);
  if (!client) return;
  let t: ClientChannel;
  try {
    t = await openOnTarget((cb) => client.subsys("sftp", cb));
  } catch (err) {
    return fail(stream, `gatehouse: the target has no sftp: ${(err as Error).message}`, 255);
  }
  opened(t);
  const files = new SftpAudit((e) =>
    audit(s, {
      action: `sftp.${e.op}`,
      outcome: "ok",
      statement: e.to ? `${e.path} -> ${e.to}` : e.path,
      statementKind: e.op.toUpperCase(),
      rows: e.bytes ?? null,
      details: e.bytes !== undefined ? { bytes: e.bytes } : null,
    }),
  );
  // A transfer the gateway cannot audit does not go on (fail closed), and never takes the process down.
  const audited = (feed: (b: Buffer) => void) => (b: Buffer) => {
    try {
      feed(b);
    } catch (err) {
      s.deps.log(`ssh: sftp audit of ${s.ctx.sessionId} failed: ${(err as Error).message}`);
      fail(stream, "gatehouse: this file transfer could not be audited, so it was stopped", 255);
      t.close();
    }
  };
  const fromClient = audited((b) => files.fromClient.feed(b));
  stream.on("data", (b: Buffer) => {
    s.bytes.in += b.length;
    fromClient(b);
  });
  stream.pipe(t);
  await bridge(stream, t, s, { output: audited((b) => files.fromServer.feed(b)) });
  files.end();
  untrack();
}

/** Registers a channel so a kill can tell its terminal why it ends. */
function track(stream: ServerChannel, s: SshSession): () => void {
  const entry = {
    end: (message: string) => {
      if (!stream.writable) return;
      stream.stderr.write(`\r\ngatehouse: ${message}\r\n`);
      stream.exit(255);
      stream.end();
    },
  };
  s.channels.add(entry);
  stream.once("close", () => s.channels.delete(entry));
  return () => s.channels.delete(entry);
}
