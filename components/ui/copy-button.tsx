"use client";
import { useState } from "react";
import { Button } from "./button";

type State = "idle" | "copied" | "failed";

/** The Clipboard API needs a secure context (https or localhost); plain http falls back to the older copy command. */
async function copyText(text: string): Promise<boolean> {
  if (typeof navigator !== "undefined" && navigator.clipboard && window.isSecureContext) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch {
      // Permission refused: try the fallback below.
    }
  }
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.style.position = "fixed";
  area.style.opacity = "0";
  // Inside a modal <dialog> only the dialog's subtree can take the selection.
  (document.activeElement?.closest("dialog") ?? document.body).appendChild(area);
  area.select();
  let ok = false;
  try {
    ok = document.execCommand("copy");
  } catch {
    ok = false;
  }
  area.remove();
  return ok;
}

/** Selects an element's text, for a person to copy by hand where copying is not available (a CopyButton's `onFail`). */
export function selectContents(el: HTMLElement | null): void {
  if (!el) return;
  const range = document.createRange();
  range.selectNodeContents(el);
  window.getSelection()?.removeAllRanges();
  window.getSelection()?.addRange(range);
}

/**
 * Copies `text` and says so next to the button (announced to screen readers). Where copying is
 * impossible it asks the person to select the text by hand; `onFail` can select it for them.
 */
export function CopyButton({ text, label = "Copy", onFail }: { text: string; label?: string; onFail?: () => void }) {
  const [state, setState] = useState<State>("idle");
  return (
    <span className="inline-flex items-center gap-2">
      <Button
        size="sm"
        variant="secondary"
        onClick={async () => {
          const ok = await copyText(text);
          setState(ok ? "copied" : "failed");
          if (!ok) onFail?.();
        }}
      >
        {label}
      </Button>
      <span role="status" aria-live="polite" className={`text-xs ${state === "failed" ? "text-rose-700" : "text-emerald-700"}`}>
        {state === "copied" ? "Copied" : state === "failed" ? "Copying is not available here: select the text and copy it" : ""}
      </span>
    </span>
  );
}
