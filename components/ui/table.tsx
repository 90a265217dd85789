import type { ReactNode, ThHTMLAttributes, TdHTMLAttributes } from "react";

/** A readable table that scrolls sideways on narrow screens instead of squeezing its columns. */
export function Table({ children, label }: { children: ReactNode; label?: string }) {
  return (
    // relative: screen-reader-only labels (position: absolute) stay inside the scroll box instead of widening the page.
    <div className="relative overflow-x-auto rounded-lg border border-slate-200 bg-white">
      <table aria-label={label} className="w-full text-left text-sm">
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
