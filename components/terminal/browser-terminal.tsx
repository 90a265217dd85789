"use client";
import "@xterm/xterm/css/xterm.css";
import type { Terminal } from "@xterm/xterm";
import { useEffect, useRef, useState } from "react";
import { describeError, useTRPCClient } from "../trpc/client";
import { Button } from "../ui/button";
import { describeExit, parseControl, terminalSocketUrl } from "./terminal-socket";
import { XTERM_LOOK } from "./xterm-look";

type Status = { state: "connecting" } | { state: "connected"; text: string } | { state: "ended"; text: string } | { state: "failed"; text: string; idle?: boolean };

const encoder = new TextEncoder();

/**
 * A live terminal on a connection: xterm.js fitted to its box, talking to the gateway's terminal
 * WebSocket with a one-time ticket from the console. Keystrokes go as binary frames, sizes as
 * `{"type":"resize"}`; the gateway sends output, and an error or exit message before it closes.
 */
export function BrowserTerminal({ connection }: { connection: string }) {
  const box = useRef<HTMLDivElement>(null);
  const client = useTRPCClient();
  const [attempt, setAttempt] = useState(0);
  const [status, setStatus] = useState<Status>({ state: "connecting" });
  const [kind, setKind] = useState<string | null>(null);

  useEffect(() => {
    let stopped = false;
    let term: Terminal | undefined;
    let ws: WebSocket | undefined;
    let observer: ResizeObserver | undefined;
    setStatus({ state: "connecting" });
    const run = async () => {
      const [{ Terminal }, { FitAddon }] = await Promise.all([import("@xterm/xterm"), import("@xterm/addon-fit")]);
      if (stopped || !box.current) return;
      term = new Terminal({ ...XTERM_LOOK, cursorBlink: true, fontSize: 14, scrollback: 5000 });
      const fit = new FitAddon();
      term.loadAddon(fit);
      term.open(box.current);
      fit.fit();
      term.focus();
      observer = new ResizeObserver(() => fit.fit());
      observer.observe(box.current);
      const t = term;
      // Refused before anything ran: the box shrinks (see below) and says so instead of a waiting cursor.
      const refused = (text: string) => {
        if (stopped) return;
        t.write("\x1b[?25l\x1b[2mNothing is running here.\x1b[0m");
        setStatus({ state: "failed", text, idle: true });
      };

      let opened: Awaited<ReturnType<typeof client.terminal.open.mutate>>;
      try {
        opened = await client.terminal.open.mutate({ connection, cols: term.cols, rows: term.rows });
      } catch (err) {
        return refused(describeError(err).message);
      }
      if (stopped) return;
      setKind(opened.program);
      const url = terminalSocketUrl(opened, opened.ticket, window.location);
      const socket = new WebSocket(url);
      ws = socket;
      socket.binaryType = "arraybuffer";
      let reached = false;
      let live = false;
      let ended = false;
      const end = (s: Status) => {
        if (ended || stopped) return;
        ended = true;
        if (s.state === "failed" && !live) return refused(s.text);
        setStatus(s);
      };
      const sendResize = (cols: number, rows: number) => {
        if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: "resize", cols, rows }));
      };
      socket.onopen = () => {
        reached = true;
        if (!stopped) setStatus({ state: "connected", text: `Connected as ${opened.identityName} to ${connection}` });
        fit.fit();
        sendResize(t.cols, t.rows);
      };
      socket.onmessage = (ev: MessageEvent<ArrayBuffer | string>) => {
        if (typeof ev.data !== "string") {
          live = true;
          return t.write(new Uint8Array(ev.data));
        }
        const m = parseControl(ev.data);
        if (m?.type === "error") end({ state: "failed", text: m.message });
        if (m?.type === "exit") end({ state: "ended", text: describeExit(m) });
      };
      socket.onclose = (ev) => {
        if (reached) return end({ state: "ended", text: `The terminal closed${ev.reason ? `: ${ev.reason}` : ""} (code ${ev.code})` });
        const where = `${url.origin}${url.pathname}`;
        end({
          state: "failed",
          text: `Could not reach the gateway's terminal at ${where}. Check that the gateway is running and reachable from this browser, and that its GATEHOUSE_CONSOLE_URL is this page's address (${window.location.origin}).`,
        });
      };
      t.onData((d) => socket.readyState === WebSocket.OPEN && socket.send(encoder.encode(d)));
      t.onBinary((d) => socket.readyState === WebSocket.OPEN && socket.send(Uint8Array.from(d, (c) => c.charCodeAt(0) & 0xff)));
      t.onResize(({ cols, rows }) => sendResize(cols, rows));
    };
    void run().catch((err: unknown) => !stopped && setStatus({ state: "failed", text: describeError(err).message }));
    return () => {
      stopped = true;
      observer?.disconnect();
      ws?.close(1000);
      term?.dispose();
    };
  }, [connection, attempt, client]);

  const over = status.state === "ended" || status.state === "failed";
  return (
    <div className="space-y-2">
      <div className="flex min-h-9 flex-wrap items-center justify-between gap-2">
        <StatusLine status={status} />
        {over ? (
          <Button variant="secondary" size="sm" onClick={() => setAttempt((a) => a + 1)}>
            Reconnect
          </Button>
        ) : null}
      </div>
      <div className="rounded-lg bg-slate-900 p-2">
        {/* Refitted whenever this box changes size (window, phone rotation, the idle box growing back). */}
        <div ref={box} data-testid="browser-terminal" className={`${status.state === "failed" && status.idle ? "h-6" : "h-[65vh] min-h-72"} w-full overflow-hidden`} />
      </div>
      {kind === "psql" ? (
        <p className="text-xs text-slate-500">
          psql here runs on the gateway&apos;s host, so its backslash commands (<code>\d</code>, <code>\i</code>, <code>\!</code>, <code>\q</code>…) are off: use SQL (<code>information_schema</code>{" "}
          describes tables), and Ctrl-D to quit.
        </p>
      ) : null}
    </div>
  );
}

function StatusLine({ status }: { status: Status }) {
  if (status.state === "failed") {
    return (
      <p role="alert" className="min-w-0 text-sm font-medium text-rose-700">
        {status.text}
      </p>
    );
  }
  const dot = status.state === "connected" ? "bg-emerald-500" : status.state === "connecting" ? "animate-pulse bg-amber-400" : "bg-slate-400";
  return (
    <p role="status" className="flex min-w-0 items-center gap-2 text-sm text-slate-700">
      <span aria-hidden className={`inline-block h-2 w-2 shrink-0 rounded-full ${dot}`} />
      {status.state === "connecting" ? "Connecting…" : status.text}
    </p>
  );
}
