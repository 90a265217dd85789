"use client";
import "@xterm/xterm/css/xterm.css";
import type { Terminal } from "@xterm/xterm";
import { useEffect, useRef, useState } from "react";
import { describeError, useTRPCClient } from "../trpc/client";
import { XTERM_LOOK } from "../terminal/xterm-look";

const POLL_MS = 1000;

/**
 * A running session's terminal as it happens: a read-only xterm fed with the recording's new
 * chunks, polled every second (the gateway saves a chunk at least every second). Calls `onEnded`
 * once the recording is complete, so the page can switch to the player.
 */
export function LiveTerminal({ id, onEnded }: { id: string; onEnded: () => void }) {
  const box = useRef<HTMLDivElement>(null);
  const client = useTRPCClient();
  const ended = useRef(onEnded);
  ended.current = onEnded;
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    let stopped = false;
    let term: Terminal | undefined;
    const run = async () => {
      const { Terminal } = await import("@xterm/xterm");
      if (stopped || !box.current) return;
      term = new Terminal({ ...XTERM_LOOK, disableStdin: true, cursorBlink: false, fontSize: 13, scrollback: 5000 });
      term.open(box.current);
      let after = -1;
      while (!stopped) {
        try {
          const r = await client.sessions.recordingChunks.query({ id, afterSeq: after });
          if (stopped) return;
          setProblem(null);
          if (after === -1) term.resize(r.width, r.height);
          for (const chunk of r.chunks) {
            for (const line of chunk.lines.split("\n")) play(term, line);
            after = chunk.seq;
          }
          if (r.ended) return ended.current();
          if (r.more) continue;
        } catch (err) {
          setProblem(describeError(err).message);
        }
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
    };
    void run();
    return () => {
      stopped = true;
      term?.dispose();
    };
  }, [id, client]);

  return (
    <div>
      <div ref={box} data-testid="live-terminal" className="overflow-x-auto rounded-md bg-slate-900 p-2" />
      {problem ? (
        <p role="alert" className="mt-2 text-sm text-rose-700">
          Could not read new output: {problem}. Trying again every second.
        </p>
      ) : null}
    </div>
  );
}

/** Output is written, a resize resizes; input is not shown (the terminal's echo is in the output). */
function play(term: Terminal, raw: string): void {
  let event: unknown;
  try {
    event = JSON.parse(raw);
  } catch {
    return;
  }
  if (!Array.isArray(event) || typeof event[2] !== "string") return;
  if (event[1] === "o") term.write(event[2]);
  const size = event[1] === "r" ? /^(\d+)x(\d+)$/.exec(event[2]) : null;
  if (size) term.resize(Number(size[1]), Number(size[2]));
}
