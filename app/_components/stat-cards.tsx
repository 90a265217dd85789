import Link from "next/link";

export type Stat = { label: string; value: number; href?: string; hint?: string };

/** A row of counts; each links to the page that explains it, when the viewer may open that page. */
export function StatCards({ stats }: { stats: Stat[] }) {
  return (
    <section aria-label="At a glance" className="grid grid-cols-2 gap-3 md:grid-cols-3 lg:grid-cols-5">
      {stats.map((s) => {
        const body = (
          <>
            <div className="text-2xl font-semibold tabular-nums text-slate-900">{s.value.toLocaleString("en")}</div>
            <div className="text-sm text-slate-500">{s.label}</div>
            {s.hint ? <div className="mt-0.5 text-xs text-amber-700">{s.hint}</div> : null}
          </>
        );
        const box = "block rounded-lg border border-slate-200 bg-white px-4 py-3.5";
        return s.href ? (
          <Link key={s.label} href={s.href} className={`${box} transition-colors hover:border-brand/40 hover:bg-slate-50`}>
            {body}
          </Link>
        ) : (
          <div key={s.label} className={box}>
            {body}
          </div>
        );
      })}
    </section>
  );
}
