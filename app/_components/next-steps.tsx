import Link from "next/link";
import { buttonClass } from "../../components/ui/button";
import type { CliHints } from "./cli-hints";

export type SetupProgress = { connections: number; grants: number; keysIssued: number; anySession: boolean };

type Step = { title: string; done: boolean; href: string; action: string; command: string };

/** Setup is finished once an agent has connected through the gateway; until then the checklist stays. */
export const setupDone = (p: SetupProgress) => p.connections > 0 && p.grants > 0 && p.keysIssued > 0 && p.anySession;

/** The four things that let a first agent in, each ticked off once the database shows it happened. */
export function NextSteps({ hints, progress }: { hints: CliHints; progress: SetupProgress }) {
  const { cli, psqlHost, psqlPort } = hints;
  const steps: Step[] = [
    {
      title: "Add a database for Gatehouse to guard",
      done: progress.connections > 0,
      href: "/connections/new",
      action: "Add a connection",
      command: `${cli} connections add pg-prod --type postgres --url postgres://user:password@host:5432/db`,
    },
    { title: "Let a group use it", done: progress.grants > 0, href: "/access", action: "Open Access", command: `${cli} grant analysts pg-prod` },
    {
      title: "Create an agent in that group and issue its key",
      done: progress.keysIssued > 0,
      href: "/agents",
      action: "Create an agent",
      command: `KEY=$(${cli} keys issue agent-7 --groups analysts --ttl 1h)`,
    },
    {
      title: "Connect through the gateway with that key",
      done: progress.anySession,
      href: "/sessions",
      action: "Watch Sessions",
      command: `PGPASSWORD=$KEY psql "host=${psqlHost} port=${psqlPort} dbname=pg-prod user=agent-7 sslmode=require"`,
    },
  ];
  const next = steps.findIndex((s) => !s.done);
  return (
    <section aria-labelledby="getting-started" className="rounded-lg border border-dashed border-slate-300 bg-white p-5">
      <h2 id="getting-started" className="font-semibold text-slate-800">
        Getting started
      </h2>
      <p className="mt-1 text-sm text-slate-500">
        {steps.filter((s) => s.done).length} of {steps.length} done. This list goes away once an agent has connected.
      </p>
      <ol className="mt-4 space-y-4">
        {steps.map((step, i) => (
          <li key={step.title} className="flex gap-3">
            <span
              aria-hidden
              className={`mt-0.5 flex size-6 shrink-0 items-center justify-center rounded-full text-xs font-semibold ${step.done ? "bg-emerald-100 text-emerald-700" : "bg-slate-100 text-slate-600"}`}
            >
              {step.done ? "✓" : i + 1}
            </span>
            <div className="min-w-0 flex-1">
              <p className={step.done ? "text-slate-500" : "font-medium text-slate-800"}>
                {step.title}
                {step.done ? <span className="ml-1.5 text-xs font-normal text-emerald-700">done</span> : null}
              </p>
              {step.done ? null : (
                <>
                  <Link href={step.href} className={`mt-2 ${buttonClass(i === next ? "primary" : "secondary", "sm")}`}>
                    {step.action}
                  </Link>
                  <p className="mt-2 text-xs text-slate-500">Or from a shell:</p>
                  <pre className="mt-1 overflow-x-auto rounded-md bg-slate-50 px-3 py-1.5 font-mono text-xs leading-relaxed text-slate-500 ring-1 ring-inset ring-slate-200">{step.command}</pre>
                </>
              )}
            </div>
          </li>
        ))}
      </ol>
    </section>
  );
}
