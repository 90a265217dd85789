"use client";
import { Badge } from "../ui/page";
import { clock } from "./recording-time";

export type CommandItem = { id: number; offset: number; statement: string; outcome: string; message: string | null };

// A browser psql terminal's commands are the statements its psql sent (the Postgres sessions it opened).
const NOTHING_YET: Record<string, string> = { terminal: "No commands were run in this terminal yet: each statement psql sends appears here." };

/** Commands typed or run in the session, at their time in the recording; a click seeks the player there. */
export function RecordingCommands({ protocol, commands, truncated, onSeek }: { protocol: string; commands: CommandItem[]; truncated: boolean; onSeek?: (t: number) => void }) {
  if (commands.length === 0) return <p className="text-sm text-slate-500">{NOTHING_YET[protocol] ?? "No commands were recorded in this session yet."}</p>;
  return (
    <>
      <ol aria-label="Commands" className="max-h-80 divide-y divide-slate-100 overflow-y-auto">
        {commands.map((c) => {
          const body = (
            <>
              <span className="w-14 shrink-0 tabular-nums text-slate-500">{clock(c.offset)}</span>
              <code className="min-w-0 flex-1 break-all font-mono text-xs text-slate-800">{c.statement}</code>
              {c.outcome !== "ok" ? <Badge tone={c.outcome === "denied" ? "amber" : "red"}>{c.outcome}</Badge> : null}
            </>
          );
          return (
            <li key={c.id}>
              {onSeek ? (
                <button
                  type="button"
                  onClick={() => onSeek(c.offset)}
                  title={c.message ?? `Play from ${clock(c.offset)}`}
                  className="flex w-full items-start gap-3 rounded px-1 py-1.5 text-left text-sm hover:bg-slate-50 focus-visible:outline-2 focus-visible:outline-brand"
                >
                  {body}
                </button>
              ) : (
                <div className="flex items-start gap-3 px-1 py-1.5 text-sm">{body}</div>
              )}
            </li>
          );
        })}
      </ol>
      {truncated ? <p className="mt-2 text-xs text-slate-500">The first 1,000 commands are listed; the audit log has them all.</p> : null}
    </>
  );
}
