"use client";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { describeError, useTRPC } from "../trpc/client";
import { Button } from "../ui/button";
import { clock } from "./recording-time";

/** Text search in what the session's terminal showed (escape codes removed); a click on a match seeks the player there. */
export function RecordingSearch({ id, onSeek }: { id: string; onSeek: (t: number) => void }) {
  const trpc = useTRPC();
  const [draft, setDraft] = useState("");
  const [query, setQuery] = useState("");
  const search = useQuery({ ...trpc.sessions.searchRecording.queryOptions({ id, query }), enabled: query.length > 0, staleTime: Infinity });
  return (
    <div>
      <form
        role="search"
        className="flex gap-2"
        onSubmit={(e) => {
          e.preventDefault();
          setQuery(draft.trim());
        }}
      >
        <label className="sr-only" htmlFor="recording-search">
          Search the output
        </label>
        <input
          id="recording-search"
          type="search"
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
          placeholder="Text the terminal showed"
          maxLength={200}
          className="min-w-0 flex-1 rounded-md border border-slate-300 px-3 py-1.5 text-sm focus:border-brand focus:outline-none"
        />
        <Button type="submit" variant="secondary" disabled={!draft.trim()}>
          Search
        </Button>
      </form>
      <div className="mt-3 text-sm" aria-live="polite">
        {!query ? (
          <p className="text-slate-500">Finds text in the output, case ignored; colours and cursor codes do not get in the way.</p>
        ) : search.isPending ? (
          <p className="text-slate-500">Searching…</p>
        ) : search.isError ? (
          <p role="alert" className="text-rose-700">
            {describeError(search.error).message}
          </p>
        ) : search.data.matches.length === 0 ? (
          <p className="text-slate-600">No output contains “{query}”.</p>
        ) : (
          <>
            <p className="text-slate-600">
              {search.data.matches.length}
              {search.data.truncated ? "+" : ""} {search.data.matches.length === 1 ? "match" : "matches"}
              {search.data.truncated ? " (the first ones are listed)" : ""}
            </p>
            <ol aria-label="Matches" className="mt-1 max-h-72 divide-y divide-slate-100 overflow-y-auto">
              {search.data.matches.map((m, i) => (
                <li key={i}>
                  <button
                    type="button"
                    onClick={() => onSeek(m.t)}
                    className="flex w-full items-start gap-3 rounded px-1 py-1.5 text-left hover:bg-slate-50 focus-visible:outline-2 focus-visible:outline-brand"
                  >
                    <span className="w-14 shrink-0 tabular-nums text-slate-500">{clock(m.t)}</span>
                    <code className="min-w-0 flex-1 whitespace-pre-wrap break-all font-mono text-xs text-slate-700">
                      {m.line.slice(0, m.at)}
                      <mark className="rounded-sm bg-amber-200 text-slate-900">{m.line.slice(m.at, m.at + m.length)}</mark>
                      {m.line.slice(m.at + m.length)}
                    </code>
                  </button>
                </li>
              ))}
            </ol>
          </>
        )}
      </div>
    </div>
  );
}
