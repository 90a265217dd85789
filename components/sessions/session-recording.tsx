"use client";
import { useQuery } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import type { Marker } from "asciinema-player";
import { useMemo, useRef, useState, type ReactNode } from "react";
import type { AppRouter } from "../../server/api/root";
import { describeError, useTRPC } from "../trpc/client";
import { buttonClass } from "../ui/button";
import { Badge, Card, ErrorBox, LoadingRows } from "../ui/page";
import { LiveTerminal } from "./live-terminal";
import { RecordingCommands } from "./recording-commands";
import { RecordingPlayer, type PlayerHandle } from "./recording-player";
import { RecordingSearch } from "./recording-search";
import { clock } from "./recording-time";
import { activityNoun } from "../../core/sessions/activity-noun";

const SPEEDS = [0.5, 1, 2, 4, 8];
/** "an" before a vowel sound (an MCP, an HTTP), "a" otherwise (a PostgreSQL, a MySQL). */
const article = (name: string) => (/^(?:[aeiouAEIOU]|HTTP|MCP|SSH)/.test(name) ? "an" : "a");

const PROTOCOLS: Record<string, string> = { postgres: "PostgreSQL", mysql: "MySQL", http: "HTTP", kubernetes: "Kubernetes", mcp: "MCP" };

/**
 * The terminal recording of a session: a live view while it runs, then the player with its
 * commands, a search of its output and the .cast download. A session without a terminal (Postgres)
 * says so; its statements are in the timeline below.
 */
export function SessionRecording({ id, protocol, active, liveActions }: { id: string; protocol: string; active: boolean; liveActions?: ReactNode }) {
  const trpc = useTRPC();
  const overview = useQuery({ ...trpc.sessions.recording.queryOptions({ id }), refetchInterval: (q) => (active && !q.state.data?.recording?.endedAt ? 2000 : false) });
  if (overview.isPending) return <LoadingRows label="Loading the recording…" />;
  if (overview.isError) return <ErrorBox message={describeError(overview.error).message} retry={() => void overview.refetch()} />;
  const { recording, commands, commandsTruncated } = overview.data;
  if (!recording) {
    return (
      <Card title="Terminal recording">
        <p className="text-sm text-slate-600">
          No terminal recording: this is {article(PROTOCOLS[protocol] ?? protocol)} {PROTOCOLS[protocol] ?? protocol} session, so what it did is its {activityNoun(protocol).many}, in the timeline
          below.
        </p>
      </Card>
    );
  }
  if (active && !recording.endedAt) {
    return (
      <div className="space-y-5">
        <Card
          title="Live terminal"
          actions={
            <div className="flex items-center gap-2">
              <Badge tone="blue">live</Badge>
              {liveActions}
            </div>
          }
        >
          <LiveTerminal id={id} onEnded={() => void overview.refetch()} />
          <p className="mt-2 text-xs text-slate-500">Read-only: output appears as the session prints it (checked every second). When the session ends, its replay appears here.</p>
        </Card>
        <Card title="Commands so far">
          <RecordingCommands protocol={protocol} commands={commands} truncated={commandsTruncated} />
        </Card>
      </div>
    );
  }
  return <Replay id={id} protocol={protocol} recording={recording} commands={commands} commandsTruncated={commandsTruncated} />;
}

type Overview = inferRouterOutputs<AppRouter>["sessions"]["recording"];
type ReplayProps = { id: string; protocol: string; recording: NonNullable<Overview["recording"]>; commands: Overview["commands"]; commandsTruncated: boolean };

function Replay({ id, protocol, recording, commands, commandsTruncated }: ReplayProps) {
  const handle = useRef<PlayerHandle | null>(null);
  const [speed, setSpeed] = useState(1);
  const cast = useQuery({
    queryKey: ["recording-cast", id],
    queryFn: async () => {
      const res = await fetch(`/api/sessions/${id}/recording?for=replay`);
      if (!res.ok) throw new Error(((await res.json().catch(() => null)) as { error?: string } | null)?.error ?? `the recording did not load (HTTP ${res.status})`);
      return res.text();
    },
    staleTime: Infinity,
    retry: false,
  });
  const markers = useMemo<Marker[]>(() => commands.slice(0, 200).map((c) => [c.offset, c.statement.slice(0, 80)]), [commands]);
  const seek = (t: number) => void handle.current?.seek(Math.min(t, recording.duration));
  return (
    <div className="space-y-5">
      <Card
        title="Terminal recording"
        actions={
          <div className="flex items-center gap-2">
            <label className="flex items-center gap-1.5 text-xs text-slate-600">
              Speed
              <select value={speed} onChange={(e) => setSpeed(Number(e.target.value))} className="rounded-md border border-slate-300 bg-white px-1.5 py-1 text-xs">
                {SPEEDS.map((s) => (
                  <option key={s} value={s}>
                    {s}×
                  </option>
                ))}
              </select>
            </label>
            <a href={`/api/sessions/${id}/recording`} download className={`${buttonClass("secondary", "sm")} whitespace-nowrap`}>
              Export .cast
            </a>
          </div>
        }
      >
        {cast.isPending ? (
          <LoadingRows label="Loading the recording…" />
        ) : cast.isError ? (
          <ErrorBox title="The recording did not load" message={cast.error.message} retry={() => void cast.refetch()} />
        ) : (
          <RecordingPlayer cast={cast.data} cols={recording.width} rows={recording.height} speed={speed} markers={markers} handle={handle} />
        )}
        <p className="mt-2 text-xs text-slate-500">
          {recording.width}×{recording.height} · {clock(recording.duration)} · {recording.events.toLocaleString("en")} events · {recording.bytes.toLocaleString("en")} bytes of output
          {recording.endedAt ? "" : " · the recording was cut short (it has no end)"}. Space plays and pauses, arrows step, commands are marked on the bar.
        </p>
      </Card>
      <div className="grid grid-cols-1 gap-5 lg:grid-cols-2">
        <Card title="Commands">
          <RecordingCommands protocol={protocol} commands={commands} truncated={commandsTruncated} onSeek={seek} />
        </Card>
        <Card title="Search the output">
          <RecordingSearch id={id} onSeek={seek} />
        </Card>
      </div>
    </div>
  );
}
