"use client";
import { useState } from "react";
import { Button } from "./button";

/** Copies `text`; says so, or says to copy by hand where the clipboard is not available (plain http). */
export function CopyButton({ text, label = "Copy" }: { text: string; label?: string }) {
  const [state, setState] = useState<"idle" | "copied" | "failed">("idle");
  return (
    <Button
      size="sm"
      variant="secondary"
      onClick={() =>
        navigator.clipboard?.writeText(text).then(
          () => setState("copied"),
          () => setState("failed"),
        ) ?? setState("failed")
      }
    >
      {state === "copied" ? "Copied" : state === "failed" ? "Select and copy it" : label}
    </Button>
  );
}
