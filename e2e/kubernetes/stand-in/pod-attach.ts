import { spawn, type ChildProcess } from "node:child_process";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { spawn as spawnPty, type IPty } from "@lydell/node-pty";
import { WebSocketServer, type WebSocket } from "ws";
import { CHANNEL, exitStatus, PROTOCOLS } from "./pod-exec";

type Container = { tty: boolean };
type MainProcess = { write: (d: Buffer) => void; endInput: () => void; resize: (w: number, h: number) => void; attached: Set<WebSocket> };

/**
 * The stand-in's `kubectl attach` (part of the stand-in API server: no real one runs here): a
 * WebSocket upgrade of `.../pods/<name>/attach?stdin=&stdout=&tty=` on the channel subprotocols, as
 * for exec. Each pod's main process is a real `sh` started on first attach (in a pseudo-terminal when
 * its container has `tty: true`) and kept while it runs, as a container's is; every attached client
 * sees its output; a client's end of stdin ends its input (a container with `stdinOnce`); its exit
 * is a Status on channel 3 to every client attached.
 */
export function podAttach(): { handle: (req: IncomingMessage, socket: Duplex, head: Buffer, pod: string, container: Container) => void; close: () => void } {
  const wss = new WebSocketServer({ noServer: true, handleProtocols: (offered) => PROTOCOLS.find((p) => offered.has(p)) ?? false });
  const running = new Map<string, MainProcess & { kill: () => void }>();
  const start = (pod: string, container: Container) => {
    const attached = new Set<WebSocket>();
    const broadcast = (channel: number, data: Buffer | string) => {
      for (const ws of attached) if (ws.readyState === ws.OPEN) ws.send(Buffer.concat([Buffer.from([channel]), Buffer.from(data)]));
    };
    const exited = (code: number) => {
      running.delete(pod);
      for (const ws of attached) {
        if (ws.readyState !== ws.OPEN) continue;
        ws.send(Buffer.concat([Buffer.from([CHANNEL.error]), Buffer.from(JSON.stringify(exitStatus(code)))]));
        ws.close(1000);
      }
    };
    const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", TERM: "xterm-256color", PS1: "$ " };
    let main: MainProcess & { kill: () => void };
    if (container.tty) {
      const pty: IPty = spawnPty("sh", [], { name: "xterm-256color", cols: 80, rows: 24, env });
      pty.onData((d) => broadcast(CHANNEL.stdout, d));
      pty.onExit(({ exitCode }) => setTimeout(() => exited(exitCode), 50));
      main = { attached, write: (d) => pty.write(d.toString("utf8")), endInput: () => pty.write("\x04"), resize: (w, h) => pty.resize(w, h), kill: () => pty.kill() };
    } else {
      const child: ChildProcess = spawn("sh", [], { stdio: ["pipe", "pipe", "pipe"], env: env as unknown as NodeJS.ProcessEnv });
      child.stdout!.on("data", (d: Buffer) => broadcast(CHANNEL.stdout, d));
      child.stderr!.on("data", (d: Buffer) => broadcast(CHANNEL.stderr, d));
      child.on("close", (code) => exited(code ?? 1));
      main = { attached, write: (d) => child.stdin!.write(d), endInput: () => child.stdin!.end(), resize: () => {}, kill: () => child.kill() };
    }
    running.set(pod, main);
    return main;
  };
  return {
    handle: (req, socket, head, pod, container) =>
      wss.handleUpgrade(req, socket, head, (ws) => {
        const main = running.get(pod) ?? start(pod, container);
        main.attached.add(ws);
        ws.on("close", () => main.attached.delete(ws));
        ws.on("message", (m: Buffer) => {
          if (m[0] === CHANNEL.stdin) main.write(m.subarray(1));
          else if (m[0] === CHANNEL.resize) {
            const size = JSON.parse(m.subarray(1).toString("utf8")) as { Width: number; Height: number };
            if (size.Width > 0 && size.Height > 0) main.resize(size.Width, size.Height);
          } else if (m[0] === CHANNEL.close && m[1] === CHANNEL.stdin) main.endInput();
        });
      }),
    close: () => {
      for (const m of running.values()) m.kill();
      for (const c of wss.clients) c.terminate();
      wss.close();
    },
  };
}
