"use client";
import { useRef } from "react";
import { CopyButton } from "../ui/copy-button";

/** A password shown once, with a copy button; selected for the person when copying is unavailable. */
export function PasswordReveal({ email, password }: { email: string; password: string }) {
  const ref = useRef<HTMLElement>(null);
  const select = () => {
    if (!ref.current) return;
    const range = document.createRange();
    range.selectNodeContents(ref.current);
    window.getSelection()?.removeAllRanges();
    window.getSelection()?.addRange(range);
  };
  return (
    <div className="space-y-3 text-sm">
      <p className="rounded-md bg-amber-50 px-3 py-2 font-medium text-amber-900 ring-1 ring-amber-200">Copy this password now and send it to {email} over a safe channel: you will not see it again.</p>
      <code ref={ref} data-testid="new-password" className="block break-all rounded bg-slate-100 px-3 py-2 font-mono text-sm text-slate-900">
        {password}
      </code>
      <CopyButton text={password} label="Copy password" onFail={select} />
    </div>
  );
}
