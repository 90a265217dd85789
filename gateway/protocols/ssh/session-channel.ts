import type { ClientChannel, ServerChannel, Session } from "ssh2";
import { SftpAudit } from "./sftp-audit";
import { fileTransferProgram } from "./file-transfer";
import { closedByClient, fail, openOnTarget, recorderOr, targetOr, track } from "./channel-common";
import { runShell } from "./shell-channel";
import { audit, auditRefused, bridge, type PtyRequest, type SshSession } from "./ssh-session";

// The environment variables passed to the target on a connection with guardrails.
const PASSED_ENV = /^(LANG|LANGUAGE|LC_[A-Z_]+|TZ|COLORTERM)$/;

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
  session.on("env", (accept, reject, info) => {
    // Under guardrails only the locale and the time zone pass: other variables change what a judged
    // command runs (BASH_ENV, an exported bash function BASH_FUNC_ls%%, LD_PRELOAD, PATH), on a target
    // whose sshd accepts them.
    if (s.guard.active && !PASSED_ENV.test(info.key)) {
      auditRefused(s, { action: "ssh.env.refused", outcome: "denied", message: `environment variable ${info.key.slice(0, 64)} is not passed on a connection with guardrails` });
      return reject?.();
    }
    env[info.key] = info.val;
    accept?.();
  });
  session.on("signal", (accept, _reject, info) => {
    if (target) target.signal(info.name);
    else interrupt();
    accept?.();
  });
  session.on("auth-agent", (_accept, reject) => {
    auditRefused(s, { action: "ssh.agent-forwarding.refused", outcome: "denied", message: "agent forwarding is not allowed through Gatehouse" });
    reject?.();
  });
  session.on("x11", (_accept, reject) => {
    auditRefused(s, { action: "ssh.x11.refused", outcome: "denied", message: "X11 forwarding is not allowed through Gatehouse" });
    reject?.();
  });

  // A second exec, shell or subsystem on one channel (or one on a channel closing) gets no stream from ssh2: refused.
  const opened = (accept: () => ServerChannel): ServerChannel | undefined => accept() as ServerChannel | undefined;
  session.on("exec", (accept, reject, info) => {
    const stream = opened(accept);
    if (!stream) return reject?.();
    guarded(
      runExec(stream, info.command, s, pty, env, (t) => (target = t), interrupted),
      stream,
      s,
    );
  });
  session.on("shell", (accept, reject) => {
    const stream = opened(accept);
    if (!stream) return reject?.();
    guarded(
      runShell(stream, s, pty, env, (t, resize) => ((target = t), (onResize = resize))),
      stream,
      s,
    );
  });
  session.on("subsystem", (accept, reject, info) => {
    if (info.name !== "sftp") {
      auditRefused(s, { action: "ssh.subsystem.refused", outcome: "denied", message: `subsystem ${info.name} is not allowed` });
      return reject?.();
    }
    const stream = opened(accept);
    if (!stream) return reject?.();
    guarded(
      runSftp(stream, s, (t) => (target = t), interrupted),
      stream,
      s,
    );
  });
}

/** A channel whose handling failed unexpectedly is logged and ended; the connection and the gateway go on. */
function guarded(run: Promise<void>, stream: ServerChannel, s: SshSession): void {
  run.catch((err: Error) => {
    s.deps.log(`ssh: a channel of ${s.ctx.sessionId} failed: ${err.stack ?? err.message}`);
    fail(stream, "gatehouse: this channel failed in the gateway; it is closed", 255);
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
  // A file transfer's server end (fileTransferProgram) is not recorded as a terminal, and its output passes unmasked.
  const isCopy = fileTransferProgram(command) !== null;
  const rec = isCopy ? null : await recorderOr(stream, s, pty);
  if (rec === undefined) return t.close();
  if (rec) rec.input(command + "\r\n");
  let recorded = 0;
  const decoder = new TextDecoder();
  await bridge(stream, t, s, {
    maskOutput: isCopy ? "stderr" : "all",
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
