import type { ReactNode, ThHTMLAttributes, TdHTMLAttributes } from "react";

// The first column (a time or a name: what says which row this is) stays in view while the rest
// scrolls under it; on a phone it takes 30 to 40% of the screen, a long name wrapping anywhere.
const STICKY_FIRST =
  "max-md:[&_td:first-child:not(:only-child)]:max-w-[40vw] max-md:[&_td:first-child:not(:only-child)]:min-w-[30vw] max-md:[&_td:first-child:not(:only-child)]:[overflow-wrap:anywhere] [&_td:first-child:not(:only-child)]:sticky [&_td:first-child:not(:only-child)]:left-0 [&_td:first-child:not(:only-child)]:z-[1] [&_td:first-child:not(:only-child)]:bg-white [&_th:first-child]:sticky [&_th:first-child]:left-0 [&_th:first-child]:z-[1] [&_th:first-child]:bg-slate-50";

/**
 * A readable table that scrolls sideways, inside its own box, when its columns do not fit (never
 * the page), with its first column held in place.
 */
export function Table({ children, label }: { children: ReactNode; label?: string }) {
  return (
    // relative: screen-reader-only labels (position: absolute) stay inside the scroll box instead of widening the page.
    <div className="relative overflow-x-auto rounded-lg border border-slate-200 bg-white">
      <table aria-label={label} className={`w-full text-left text-sm ${STICKY_FIRST}`}>
        {children}
      </table>
    </div>
  );
}

export function Th({ className, ...props }: ThHTMLAttributes<HTMLTableCellElement>) {
  return <th scope="col" className={`whitespace-nowrap px-3 py-2 text-xs font-semibold uppercase tracking-wide text-slate-500 ${className ?? ""}`} {...props} />;
}

export function Td({ className, ...props }: TdHTMLAttributes<HTMLTableCellElement>) {
  return <td className={`px-3 py-2 align-top ${className ?? ""}`} {...props} />;
}

export function THead({ children }: { children: ReactNode }) {
  return (
    <thead className="border-b border-slate-200 bg-slate-50/60">
      <tr>{children}</tr>
    </thead>
  );
}

export function TBody({ children }: { children: ReactNode }) {
  return <tbody className="divide-y divide-slate-100">{children}</tbody>;
}

export const formatTime = (at: Date | string | null | undefined): string => (at ? new Date(at).toISOString().replace("T", " ").slice(0, 19) : "—");

/** How long ago, for people: "just now", "12 min ago", "5 h ago", "3 days ago". */
export function formatAgo(at: Date | string, now: Date): string {
  const m = Math.round((now.getTime() - new Date(at).getTime()) / 60_000);
  if (m < 1) return "just now";
  if (m < 120) return `${m} min ago`;
  const h = Math.round(m / 60);
  return h < 48 ? `${h} h ago` : `${Math.round(h / 24)} days ago`;
}
