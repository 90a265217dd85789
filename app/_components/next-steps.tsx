import type { CliHints } from "./cli-hints";

type Step = { title: string; done: boolean; commands: string[] };

/** The three things that let a first agent in, each ticked off once the database shows it happened. */
export function NextSteps({ hints, connections, identities }: { hints: CliHints; connections: number; identities: number }) {
  const { cli, psqlHost, psqlPort } = hints;
  const steps: Step[] = [
    { title: "Add a database for Gatehouse to guard", done: connections > 0, commands: [`${cli} connections add pg-prod --type postgres --url postgres://user:password@host:5432/db`] },
    { title: "Let a group use it, and issue a key for an agent in that group", done: identities > 0, commands: [`${cli} grant analysts pg-prod`, `KEY=$(${cli} keys issue agent-7 --groups analysts --ttl 1h)`] },
    { title: "Connect through the gateway with that key", done: false, commands: [`PGPASSWORD=$KEY psql "host=${psqlHost} port=${psqlPort} dbname=pg-prod user=agent-7 sslmode=require"`] },
  ];
  return (
    <div className="rounded-lg border border-dashed border-slate-300 bg-white p-5">
      <p className="text-slate-700">Nothing has gone through the gateway yet. To let a first agent in, from the Gatehouse folder:</p>
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
              <p className={step.done ? "text-slate-500 line-through decoration-slate-300" : "font-medium text-slate-800"}>{step.title}</p>
              <pre className="mt-1.5 overflow-x-auto rounded-md bg-slate-100 px-3 py-2 font-mono text-xs leading-relaxed text-slate-700">{step.commands.join("\n")}</pre>
            </div>
          </li>
        ))}
      </ol>
      <p className="mt-4 text-sm text-slate-500">Every statement then shows up here, and in <code className="font-mono">{cli} audit list --json</code>.</p>
    </div>
  );
}
