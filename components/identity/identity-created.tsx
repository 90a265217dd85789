"use client";
import { useEffect, useSyncExternalStore } from "react";

// The name of the person identity just created, kept outside the component that created it: once
// created, the page re-renders as linked and that component is gone, so its own message would
// vanish with it before anyone read it.
let created: string | null = null;
const listeners = new Set<() => void>();
const subscribe = (l: () => void) => {
  listeners.add(l);
  return () => void listeners.delete(l);
};

/** Called when the signed-in admin's own person identity was created and linked. */
export function announceIdentityCreated(name: string): void {
  created = name;
  for (const l of listeners) l();
}

/**
 * "Person identity … created and linked to your account.", on the pages that offer to create one
 * (terminal, SSH keys), above their content, until the person leaves the page.
 */
export function IdentityCreatedNote() {
  const name = useSyncExternalStore(
    subscribe,
    () => created,
    () => null,
  );
  // Said once: leaving the page forgets it.
  useEffect(() => () => void (created = null), []);
  return name ? (
    <p role="status" className="mb-4 text-sm text-emerald-700">
      Person identity {name} created and linked to your account.
    </p>
  ) : null;
}
