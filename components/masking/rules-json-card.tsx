"use client";
import { Fragment } from "react";
import type { MaskingRules } from "../../core/masking/masking-rules";
import { CopyButton } from "../ui/copy-button";
import { Card } from "../ui/page";
import { cliLines } from "./rules-draft";

/** The document the form describes, read-only, and the CLI line that sets the same rules. */
export function RulesJsonCard({ connection, rules }: { connection: string; rules: MaskingRules }) {
  const json = JSON.stringify(rules, null, 2);
  const script = cliLines(connection, rules);
  const apply = script.slice(script.lastIndexOf("\n") + 1);
  return (
    <Card title="Rules as JSON" actions={<CopyButton text={json} label="Copy JSON" />}>
      <pre aria-label="Rules as JSON" className="overflow-x-auto rounded bg-slate-50 p-3 font-mono text-xs text-slate-700">
        {json}
      </pre>
      <div className="mt-3 flex flex-wrap items-center justify-between gap-2">
        <p className="text-sm text-slate-600">
          The same rules from a terminal: <code className="font-mono text-xs">gatehouse masking apply</code> takes this JSON, saved as masking.json.
        </p>
        <CopyButton text={script} label="Copy as a script" />
      </div>
      <pre aria-label="CLI" className="mt-2 overflow-x-auto whitespace-pre-wrap break-words rounded bg-slate-900 p-3 font-mono text-xs text-slate-100">
        {/* Wraps at spaces only: a browser would also break after the dash of "-f". */}
        {apply.split(" ").map((word, i) => (
          <Fragment key={i}>
            {i > 0 ? " " : null}
            <span className="whitespace-nowrap">{word}</span>
          </Fragment>
        ))}
      </pre>
    </Card>
  );
}
