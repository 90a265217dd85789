"use client";
import Link from "next/link";
import { usePathname } from "next/navigation";
import { useState, type ReactNode } from "react";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "../trpc/client";
import type { ConsoleRole } from "../../core/users/console-users";

type NavItem = { href: string; label: string; roles: readonly ConsoleRole[] };

// Mirrors SECTION_ROLES in server/auth/current-user.ts; the procedures behind each page enforce it.
const NAV: NavItem[] = [
  { href: "/", label: "Overview", roles: ["admin", "approver", "auditor", "member"] },
  { href: "/reviews", label: "Reviews", roles: ["admin", "approver"] },
  { href: "/access-requests", label: "Access requests", roles: ["admin", "approver", "auditor", "member"] },
  { href: "/terminal", label: "Terminal", roles: ["admin", "approver", "auditor", "member"] },
  { href: "/ssh-keys", label: "SSH keys", roles: ["admin", "approver", "auditor", "member"] },
  { href: "/connections", label: "Connections", roles: ["admin"] },
  { href: "/connectors", label: "Connectors", roles: ["admin", "auditor", "approver"] },
  { href: "/guardrails", label: "Guardrails", roles: ["admin", "auditor", "approver"] },
  { href: "/masking", label: "Masking", roles: ["admin", "auditor", "approver"] },
  { href: "/budgets", label: "Budgets", roles: ["admin", "auditor", "approver"] },
  { href: "/access", label: "Access", roles: ["admin"] },
  { href: "/agents", label: "Agents & keys", roles: ["admin"] },
  { href: "/sessions", label: "Sessions", roles: ["admin", "auditor"] },
  { href: "/audit", label: "Audit log", roles: ["admin", "auditor"] },
  { href: "/users", label: "Console users", roles: ["admin"] },
];

const isActive = (pathname: string, href: string) => (href === "/" ? pathname === "/" : pathname === href || pathname.startsWith(`${href}/`));

export function ConsoleShell({ user, signOut, children }: { user: { email: string; name: string | null; role: ConsoleRole }; signOut: () => Promise<void>; children: ReactNode }) {
  const pathname = usePathname();
  const [open, setOpen] = useState(false);
  const items = NAV.filter((n) => n.roles.includes(user.role));
  const waiting = useWaitingReviews(user.role === "admin" || user.role === "approver");
  const nav = (
    <nav aria-label="Console" className="flex flex-col gap-0.5">
      {items.map((item) => {
        const active = isActive(pathname, item.href);
        return (
          <Link
            key={item.href}
            href={item.href}
            onClick={() => setOpen(false)}
            aria-current={active ? "page" : undefined}
            className={`rounded-md px-3 py-2 text-sm ${active ? "bg-brand/10 font-semibold text-brand" : "text-slate-600 hover:bg-slate-100 hover:text-slate-900"}`}
          >
            {item.label}
            {item.href === "/reviews" && waiting ? (
              <span className="ml-2 rounded-full bg-amber-100 px-1.5 py-0.5 text-xs font-semibold tabular-nums text-amber-800" aria-label={`${waiting} waiting for a decision`}>
                {waiting}
              </span>
            ) : null}
          </Link>
        );
      })}
    </nav>
  );
  return (
    <div className="min-h-screen md:flex">
      <aside className="hidden w-56 shrink-0 flex-col border-r border-slate-200 bg-white px-3 py-4 md:flex">
        <Link href="/" className="mb-5 px-3 text-base font-semibold text-brand">
          Gatehouse
        </Link>
        {nav}
        <UserBox user={user} signOut={signOut} />
      </aside>
      <header className="flex items-center justify-between border-b border-slate-200 bg-white px-4 py-3 md:hidden">
        <Link href="/" className="font-semibold text-brand">
          Gatehouse
        </Link>
        <button type="button" aria-expanded={open} aria-controls="mobile-nav" onClick={() => setOpen((o) => !o)} className="rounded-md px-2.5 py-1.5 text-sm text-slate-700 ring-1 ring-slate-300">
          Menu
        </button>
      </header>
      {open ? (
        <div id="mobile-nav" className="border-b border-slate-200 bg-white px-3 py-3 md:hidden">
          {nav}
          <UserBox user={user} signOut={signOut} />
        </div>
      ) : null}
      <main className="min-w-0 flex-1 px-4 py-6 md:px-8">
        <div className="mx-auto max-w-6xl">{children}</div>
      </main>
    </div>
  );
}

function UserBox({ user, signOut }: { user: { email: string; name: string | null; role: ConsoleRole }; signOut: () => Promise<void> }) {
  return (
    <div className="mt-auto border-t border-slate-100 px-3 pt-4 md:mt-auto">
      <p className="truncate text-sm font-medium text-slate-800" title={user.email}>
        {user.name ?? user.email}
      </p>
      <p className="text-xs text-slate-500">{user.role}</p>
      <form action={signOut}>
        <button type="submit" className="mt-2 text-sm text-slate-600 underline-offset-2 hover:underline">
          Sign out
        </button>
      </form>
    </div>
  );
}

/** Reviews waiting for a decision, for the roles that decide (kept fresh while the console is open). */
function useWaitingReviews(decides: boolean): number {
  const trpc = useTRPC();
  const q = useQuery({ ...trpc.reviews.pendingCount.queryOptions(), enabled: decides, refetchInterval: 3000 });
  return decides ? (q.data ?? 0) : 0;
}
