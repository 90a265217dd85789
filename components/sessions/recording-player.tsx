"use client";
import "asciinema-player/dist/bundle/asciinema-player.css";
import type { Marker, Player } from "asciinema-player";
import { useEffect, useRef, type RefObject } from "react";

export type PlayerHandle = Pick<Player, "seek" | "play" | "pause" | "getCurrentTime">;

type Props = {
  /** The asciicast v2 file. */
  cast: string;
  cols: number;
  rows: number;
  speed: number;
  markers: Marker[];
  /** Filled with the live player, for seeking from outside (commands, search results). */
  handle: RefObject<PlayerHandle | null>;
};

/**
 * asciinema-player on a recording, scaled to the card's width with the recording's own columns and
 * rows. The player touches `window`, so it is imported in the browser only. A new speed starts a
 * new player at the same moment (the player has no speed control of its own), playing if it was.
 */
export function RecordingPlayer({ cast, cols, rows, speed, markers, handle }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const resume = useRef({ at: 0, playing: false });

  useEffect(() => {
    let disposed = false;
    let player: Player | undefined;
    const saved = resume.current; // one object for the component's life: where the last player stopped
    void import("asciinema-player").then(({ create }) => {
      if (disposed || !box.current) return;
      const { at, playing } = saved;
      player = create({ data: cast }, box.current, {
        cols,
        rows,
        speed,
        markers,
        fit: "width",
        preload: true,
        autoPlay: playing,
        terminalFontSize: "small",
        ...(at > 0 && playing ? { startAt: at } : {}),
      });
      const p = player;
      // Paused, startAt would show the start screen: seeking shows the frame at that moment.
      if (at > 0 && !playing) void p.seek(at);
      p.addEventListener("play", () => void (saved.playing = true));
      p.addEventListener("playing", () => void (saved.playing = true));
      p.addEventListener("pause", () => void (saved.playing = false));
      p.addEventListener("ended", () => void (saved.playing = false));
      handle.current = p;
    });
    return () => {
      disposed = true;
      if (!player) return;
      saved.at = player.getCurrentTime() ?? 0;
      if (handle.current === player) handle.current = null;
      player.dispose();
    };
  }, [cast, cols, rows, speed, markers, handle]);

  return <div ref={box} data-testid="recording-player" className="min-h-24 overflow-hidden rounded-md bg-slate-900" />;
}
