"use client";
import { useEffect, useRef, type ReactNode } from "react";

/**
 * A native modal <dialog> (focus trap, Escape, backdrop for free), opened and closed by `open`.
 * Its accessible name is its title, so tests and screen readers find it by role "dialog".
 */
export function ModalDialog({ open, title, children, onClose, wide }: { open: boolean; title: string; children: ReactNode; onClose: () => void; wide?: boolean }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  return (
    <dialog ref={ref} onClose={onClose} aria-label={title} className={`m-auto w-[calc(100%-2rem)] rounded-lg p-0 shadow-xl backdrop:bg-slate-900/40 ${wide ? "max-w-2xl" : "max-w-md"}`}>
      {open ? (
        <div className="space-y-4 p-5">
          <h2 className="text-base font-semibold text-slate-900">{title}</h2>
          {children}
        </div>
      ) : null}
    </dialog>
  );
}
