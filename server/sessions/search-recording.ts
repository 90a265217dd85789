import "server-only";
import { z } from "zod";
import type { Db } from "../../drizzle/client";
import { getRecording, recordingEvents } from "../../core/recordings/read-recording";
import { AppError } from "../errors/app-error";
import { AnsiStripper, LineCutter, timeAt, type TextLine } from "./terminal-text";

export const searchRecordingInput = z.object({
  id: z.string().uuid(),
  query: z.string().trim().min(1, "type something to search for").max(200),
  limit: z.number().int().min(1).max(500).default(200),
});

export type RecordingMatch = {
  /** Seconds from the start of the recording at which the whole match is on screen. */
  t: number;
  /** The output line around the match, escape codes removed. */
  line: string;
  /** Where the match sits in `line`. */
  at: number;
  length: number;
};

const CONTEXT = 60;

/**
 * Finds text in a recording's output as a person saw it (escape codes stripped, case ignored), line
 * by line, reading the recording a page of chunks at a time so a long session does not fill memory.
 */
export async function searchRecording(db: Db, input: z.infer<typeof searchRecordingInput>): Promise<{ matches: RecordingMatch[]; truncated: boolean }> {
  if (!(await getRecording(db, input.id))) throw new AppError("NOT_FOUND", "this session has no terminal recording");
  const needle = input.query.toLowerCase();
  const stripper = new AnsiStripper();
  const cutter = new LineCutter();
  const matches: RecordingMatch[] = [];
  const scan = (line: TextLine): boolean => {
    const haystack = line.text.toLowerCase();
    for (let i = haystack.indexOf(needle); i >= 0; i = haystack.indexOf(needle, i + needle.length)) {
      if (matches.length === input.limit) return false;
      matches.push({ t: timeAt(line, i + needle.length - 1), ...excerpt(line.text, i, needle.length) });
    }
    return true;
  };
  for await (const chunk of recordingEvents(db, input.id)) {
    for (const raw of chunk.lines.split("\n")) {
      const event = parseEvent(raw);
      if (!event || event[1] !== "o") continue;
      for (const line of cutter.feed(stripper.feed(event[2]), event[0])) {
        if (!scan(line)) return { matches, truncated: true };
      }
    }
  }
  const last = cutter.flush();
  if (last && !scan(last)) return { matches, truncated: true };
  return { matches, truncated: false };
}

function parseEvent(raw: string): [number, string, string] | null {
  try {
    const e: unknown = JSON.parse(raw);
    return Array.isArray(e) && typeof e[0] === "number" && typeof e[2] === "string" ? [e[0], String(e[1]), e[2]] : null;
  } catch {
    return null;
  }
}

/** At most CONTEXT characters either side of the match, trimmed. */
function excerpt(text: string, index: number, length: number): { line: string; at: number; length: number } {
  const from = Math.max(0, index - CONTEXT);
  const to = Math.min(text.length, index + length + CONTEXT);
  const head = text.slice(from, index);
  const trimmedHead = from === 0 ? head.trimStart() : `…${head}`;
  return { line: trimmedHead + text.slice(index, to).trimEnd() + (to < text.length ? "…" : ""), at: trimmedHead.length, length };
}
