"use client";
import { useEffect, useRef, useState, type ReactNode } from "react";
import { Button } from "./button";
import { Field, TextInput } from "./field";

/**
 * A native <dialog> that asks to type a word (usually the thing's name) before a destructive action.
 * Closes on Escape; the action's error is shown inside.
 */
export function ConfirmDialog({
  open,
  title,
  children,
  confirmWord,
  actionLabel,
  pending,
  error,
  onConfirm,
  onClose,
}: {
  open: boolean;
  title: string;
  children: ReactNode;
  confirmWord: string;
  actionLabel: string;
  pending?: boolean;
  error?: string;
  onConfirm: () => void;
  onClose: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const [typed, setTyped] = useState("");
  // What was typed belongs to one opening of the dialog for one question. It is cleared while
  // rendering, not in an effect after the dialog shows: an effect left the word typed for the last
  // question (say "Remove site-a") in the box, with the button enabled, while a new question
  // ("Revoke the tokens of site-a") was already on screen, until the effect's update rendered; a
  // click then confirmed what nobody typed for, and a word typed at once was wiped by that update.
  const question = open ? `${title}\n${confirmWord}` : null;
  const [askedFor, setAskedFor] = useState(question);
  if (question !== askedFor) {
    setAskedFor(question);
    setTyped("");
  }
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  return (
    <dialog ref={ref} onClose={onClose} aria-label={title} className="m-auto w-full max-w-md rounded-lg p-0 shadow-xl backdrop:bg-slate-900/40">
      <form
        className="space-y-4 p-5"
        onSubmit={(e) => {
          e.preventDefault();
          if (typed === confirmWord) onConfirm();
        }}
      >
        <h2 className="text-base font-semibold text-slate-900">{title}</h2>
        <div className="text-sm text-slate-600">{children}</div>
        <Field label={`Type ${confirmWord} to confirm`} name="confirm-word" error={error}>
          <TextInput name="confirm-word" value={typed} onChange={(e) => setTyped(e.target.value)} autoComplete="off" />
        </Field>
        <div className="flex justify-end gap-2">
          <Button variant="secondary" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" variant="danger" disabled={typed !== confirmWord || pending}>
            {pending ? "Working…" : actionLabel}
          </Button>
        </div>
      </form>
    </dialog>
  );
}
