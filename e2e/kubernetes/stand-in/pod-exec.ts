import { spawn } from "node:child_process";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { spawn as spawnPty } from "@lydell/node-pty";
import { WebSocketServer, type WebSocket } from "ws";

/** The remote-command channels of the Kubernetes WebSocket subprotocols (v5 adds 255: close a channel). */
export const CHANNEL = { stdin: 0, stdout: 1, stderr: 2, error: 3, resize: 4, close: 255 } as const;
export const PROTOCOLS = ["v5.channel.k8s.io", "v4.channel.k8s.io"];

/**
 * The stand-in's pod exec: a WebSocket upgrade of `.../pods/<name>/exec?command=...&stdin=&stdout=&tty=`
 * speaking `v5.channel.k8s.io` (or v4): the command runs for real on this machine, in a
 * pseudo-terminal when `tty=true` (resizes from channel 4), its output on channels 1 and 2, its exit
 * as a Status on channel 3, as the kubelet reports it.
 */
export function podExec(): { handle: (req: IncomingMessage, socket: Duplex, head: Buffer) => void; close: () => void } {
  const wss = new WebSocketServer({ noServer: true, handleProtocols: (offered) => PROTOCOLS.find((p) => offered.has(p)) ?? false });
  return {
    handle: (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => run(ws, new URL(req.url ?? "/", "https://x").searchParams)),
    close: () => {
      for (const c of wss.clients) c.terminate();
      wss.close();
    },
  };
}

/** A command's end as the kubelet reports it on channel 3. */
export function exitStatus(code: number): Record<string, unknown> {
  if (code === 0) return { metadata: {}, status: "Success" };
  return {
    metadata: {},
    status: "Failure",
    message: `command terminated with non-zero exit code: exit status ${code}`,
    reason: "NonZeroExitCode",
    details: { causes: [{ reason: "ExitCode", message: String(code) }] },
  };
}

function run(ws: WebSocket, q: URLSearchParams): void {
  const command = q.getAll("command");
  const send = (channel: number, data: Buffer | string) => ws.readyState === ws.OPEN && ws.send(Buffer.concat([Buffer.from([channel]), Buffer.from(data)]));
  const exited = (code: number) => {
    send(CHANNEL.error, JSON.stringify(exitStatus(code)));
    ws.close(1000);
  };
  if (command.length === 0) return void (send(CHANNEL.error, JSON.stringify({ metadata: {}, status: "Failure", message: "you must specify at least one command for the container" })), ws.close(1000));
  if (q.get("tty") === "true") {
    const pty = spawnPty(command[0], command.slice(1), { name: "xterm-256color", cols: 80, rows: 24, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", TERM: "xterm-256color", PS1: "$ " } });
    pty.onData((d) => send(CHANNEL.stdout, d));
    pty.onExit(({ exitCode }) => setTimeout(() => exited(exitCode), 50));
    ws.on("message", (m: Buffer) => {
      if (m[0] === CHANNEL.stdin) pty.write(m.subarray(1).toString("utf8"));
      else if (m[0] === CHANNEL.resize) {
        const size = JSON.parse(m.subarray(1).toString("utf8")) as { Width: number; Height: number };
        if (size.Width > 0 && size.Height > 0) pty.resize(size.Width, size.Height);
      }
    });
    ws.on("close", () => pty.kill());
    return;
  }
  const child = spawn(command[0], command.slice(1), { stdio: ["pipe", "pipe", "pipe"], env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } as unknown as NodeJS.ProcessEnv });
  child.stdout.on("data", (d: Buffer) => send(CHANNEL.stdout, d));
  child.stderr.on("data", (d: Buffer) => send(CHANNEL.stderr, d));
  child.on("error", (err) => (send(CHANNEL.error, JSON.stringify({ metadata: {}, status: "Failure", message: err.message })), ws.close(1000)));
  child.on("close", (code) => exited(code ?? 1));
  ws.on("message", (m: Buffer) => {
    if (m[0] === CHANNEL.stdin) child.stdin.write(m.subarray(1));
    else if (m[0] === CHANNEL.close && m[1] === CHANNEL.stdin) child.stdin.end();
  });
  if (q.get("stdin") !== "true") child.stdin.end();
  ws.on("close", () => child.kill());
}
