import Link from "next/link";
import type { CliHints } from "./cli-hints";

type Step = { title: string; done: boolean; href: string; action: string; commands: string[] };

/** The three things that let a first agent in, each ticked off once the database shows it happened. */
export function NextSteps({ hints, connections, identities }: { hints: CliHints; connections: number; identities: number }) {
  const { cli, psqlHost, psqlPort } = hints;
  const steps: Step[] = [
    { title: "Add a database for Gatehouse to guard", done: connections > 0, href: "/connections/new", action: "Add a connection", commands: [`${cli} connections add pg-prod --type postgres --url postgres://user:password@host:5432/db`] },
    { title: "Let a group use it", done: false, href: "/access", action: "Open Access", commands: [`${cli} grant analysts pg-prod`] },
    { title: "Create an agent in that group and issue its key", done: identities > 0, href: "/agents", action: "Open Agents & keys", commands: [`KEY=$(${cli} keys issue agent-7 --groups analysts --ttl 1h)`] },
    { title: "Connect through the gateway with that key", done: false, href: "/sessions", action: "Watch Sessions", commands: [`PGPASSWORD=$KEY psql "host=${psqlHost} port=${psqlPort} dbname=pg-prod user=agent-7 sslmode=require"`] },
  ];
  return (
    <section aria-label="Getting started" className="rounded-lg border border-dashed border-slate-300 bg-white p-5">
      <h2 className="font-semibold text-slate-800">Getting started</h2>
      <ol className="mt-4 space-y-4">
        {steps.map((step, i) => (
          <li key={step.title} className="flex gap-3">
            <span
              aria-label={step.done ? "done" : `step ${i + 1}`}
              className={`mt-0.5 flex size-6 shrink-0 items-center justify-center rounded-full text-xs font-semibold ${step.done ? "bg-emerald-100 text-emerald-700" : "bg-slate-100 text-slate-600"}`}
            >
              {step.done ? "✓" : i + 1}
            </span>
            <div className="min-w-0 flex-1">
              <p className={step.done ? "text-slate-500 line-through decoration-slate-300" : "font-medium text-slate-800"}>
                {step.title}{" "}
                {step.done ? null : (
                  <Link href={step.href} className="ml-1 text-sm font-normal text-brand hover:underline">
                    {step.action} →
                  </Link>
                )}
              </p>
              <pre className="mt-1.5 overflow-x-auto rounded-md bg-slate-100 px-3 py-2 font-mono text-xs leading-relaxed text-slate-600">{step.commands.join("\n")}</pre>
            </div>
          </li>
        ))}
      </ol>
      <p className="mt-4 text-sm text-slate-500">Or from a shell, with the commands shown under each step.</p>
    </section>
  );
}
