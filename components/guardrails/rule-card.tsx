"use client";
import { Button } from "../ui/button";
import { Field, Select, TextInput } from "../ui/field";
import { CLASSES, matchesEverything, type RuleDraft } from "./rule-draft";
import { LOCK_LEVELS } from "../../core/policy/lock-levels";

type Props = {
  index: number;
  count: number;
  rule: RuleDraft;
  errors: Record<string, string>;
  readOnly: boolean;
  /** An SSH connection: SQL-only conditions are hidden unless a rule already uses them (they never match a command). */
  commands?: boolean;
  /** An HTTP connection: kinds are `METHOD /path` globs, and request conditions show. */
  requests?: boolean;
  /** A Kubernetes connection: kinds are `verb resource`, and the verbs, resources, namespaces and names conditions show. */
  kubernetes?: boolean;
  /** An MCP connection: kinds are tool names, and the arguments condition shows. */
  tools?: boolean;
  /** A MySQL connection: PostgreSQL's lock levels and COPY ... PROGRAM never match, so they are hidden unless a rule uses them. */
  mysql?: boolean;
  onChange: (r: RuleDraft) => void;
  onMove: (delta: -1 | 1) => void;
  onRemove: () => void;
};

/** One rule of the ordered list: who it applies to, what it matches, what it does. */
export function RuleCard({ index, count, rule, errors, readOnly, commands = false, requests = false, kubernetes = false, tools = false, mysql = false, onChange, onMove, onRemove }: Props) {
  const sqlOnly = (k: "classes" | "tables" | "functions" | "sessionSettings" | "locks" | "writesWithoutWhere" | "copiesServerFile" | "copiesProgram") =>
    (commands || (mysql && (k === "locks" || k === "copiesProgram"))) && (typeof rule[k] === "boolean" ? !rule[k] : rule[k].length === 0);
  const id = (f: string) => `r${index}-${f}`;
  const set = <K extends keyof RuleDraft>(k: K, v: RuleDraft[K]) => onChange({ ...rule, [k]: v });
  const txt = (k: keyof RuleDraft & string, label: string, placeholder?: string, hint?: string) => (
    <Field label={label} name={id(k)} hint={hint} error={errors[k]}>
      <TextInput name={id(k)} value={String(rule[k])} placeholder={placeholder} disabled={readOnly} onChange={(e) => set(k, e.target.value as never)} invalid={Boolean(errors[k])} />
    </Field>
  );
  return (
    <section aria-label={`Rule ${index + 1}: ${rule.name}`} className="rounded-lg border border-slate-200 bg-white">
      <div className="flex flex-wrap items-center justify-between gap-2 border-b border-slate-100 px-4 py-2.5">
        <span className="text-sm font-semibold text-slate-700">
          {index + 1}. {rule.name || "(unnamed)"}
        </span>
        {readOnly ? null : (
          <div className="flex gap-1">
            <Button size="sm" variant="ghost" disabled={index === 0} onClick={() => onMove(-1)} aria-label={`Move rule ${rule.name} up`}>
              ↑
            </Button>
            <Button size="sm" variant="ghost" disabled={index === count - 1} onClick={() => onMove(1)} aria-label={`Move rule ${rule.name} down`}>
              ↓
            </Button>
            <Button size="sm" variant="ghost" onClick={onRemove} aria-label={`Remove rule ${rule.name}`}>
              Remove
            </Button>
          </div>
        )}
      </div>
      <div className="grid gap-3 p-4 md:grid-cols-3">
        {matchesEverything(rule) ? <p className="text-xs text-amber-700 md:col-span-3">No conditions and no scope: this rule matches every statement, so the rules below it never decide.</p> : null}
        {txt("name", "Name")}
        <Field label="Action" name={id("action")}>
          <Select name={id("action")} value={rule.action} disabled={readOnly} onChange={(e) => set("action", e.target.value as RuleDraft["action"])}>
            <option value="allow">allow</option>
            <option value="deny">deny (refuse)</option>
            <option value="review">review (hold)</option>
          </Select>
        </Field>
        {txt("groups", "Only for groups", "everyone", "Comma-separated; empty: everyone.")}
        <fieldset className={sqlOnly("classes") ? "hidden" : "md:col-span-3"}>
          <legend className="text-sm font-medium text-slate-700">Statement classes (any of)</legend>
          <div className="mt-1 flex flex-wrap gap-x-4 gap-y-1">
            {CLASSES.map((c) => (
              <label key={c} className="flex items-center gap-1.5 text-sm">
                <input
                  type="checkbox"
                  disabled={readOnly}
                  checked={rule.classes.includes(c)}
                  onChange={(e) => set("classes", e.target.checked ? [...rule.classes, c] : rule.classes.filter((x) => x !== c))}
                />
                {c}
              </label>
            ))}
          </div>
          {errors.classes ? (
            <p role="alert" className="mt-1 text-xs text-rose-600">
              {errors.classes}
            </p>
          ) : null}
        </fieldset>
        {tools
          ? txt("kinds", "Tools", "delete_*, write_file", "The tool's name as the MCP server lists it; * globs.")
          : kubernetes
            ? txt("kinds", "Kinds", "delete namespaces, create pods/exec", "A verb and a resource as kubectl says them; a bare verb (delete) matches every resource.")
            : requests
              ? txt("kinds", "Kinds", "DELETE /v1/customers/*, * /admin/**", "METHOD /path: * is one path segment, ** any number; a bare method (DELETE) matches every path.")
              : commands
                ? txt("kinds", "Kinds", "rm, shutdown, kubectl delete", "A program and its words: rm matches sudo rm -rf /x; kubectl delete matches kubectl -n prod delete pod.")
                : txt(
                    "kinds",
                    "Kinds",
                    "DROP, TRUNCATE",
                    rule.action === "allow"
                      ? "DROP matches DROP TABLE…; an allow rule must list every kind a statement runs (a SELECT whose CTE deletes runs a DELETE too)."
                      : "DROP matches DROP TABLE…; PREPARE, EXECUTE, EXPLAIN, WITH keep their own kind.",
                  )}
        {sqlOnly("tables")
          ? null
          : txt(
              "tables",
              "Tables",
              "billing.*, users",
              rule.action === "allow" ? "* is a wildcard; an allow rule must list every table a statement names." : "* is a wildcard; a bare name matches in any schema.",
            )}
        {sqlOnly("functions") ? null : txt("functions", "Functions", mysql ? "load_file, sys_exec" : "pg_read_file, lo_import")}
        {sqlOnly("sessionSettings") ? null : txt("sessionSettings", "Session settings", mysql ? "sql_mode, sql_log_bin" : "role, search_path")}
        {sqlOnly("locks") ? null : (
          <Field label="Takes a lock of at least" name={id("locks")} hint="ACCESS EXCLUSIVE: VACUUM FULL, CLUSTER, REINDEX, most ALTER TABLE forms." error={errors.locks}>
            <Select name={id("locks")} value={rule.locks} disabled={readOnly} onChange={(e) => set("locks", e.target.value as RuleDraft["locks"])}>
              <option value="">no lock condition</option>
              {LOCK_LEVELS.map((l) => (
                <option key={l} value={l}>
                  {l}
                </option>
              ))}
            </Select>
          </Field>
        )}
        {kubernetes || rule.verbs ? txt("verbs", "Verbs", "delete, deletecollection", "get, list, watch, create, update, patch, delete, deletecollection; * globs.") : null}
        {kubernetes || rule.resources ? txt("resources", "Resources", "deployments.apps, pods/exec", "As kubectl names them, group-qualified or not, with a subresource; * globs.") : null}
        {kubernetes || rule.namespaces ? txt("namespaces", "Namespaces", "prod*", "* globs; a cluster-wide request has none.") : null}
        {kubernetes || rule.names ? txt("names", "Object names", "web-*", "* globs.") : null}
        {(requests && !kubernetes) || rule.request
          ? txt("request", "Request conditions (JSON)", '{"body": {"/mode": "force"}}', "query, headers and body (JSON pointers) to * globs on their values; all must hold.")
          : null}
        {tools || rule.arguments ? txt("arguments", "Argument conditions (JSON)", '{"/path": "/etc/*"}', "JSON pointers into the call's arguments to * globs on their values; all must hold.") : null}
        {txt("regex", "Regex on the text", "escape hatch", "Case-insensitive, RE2 syntax (no lookaround or back-references); prefer the parsed conditions.")}
        {txt("identities", "Only for identities", "everyone", "Comma-separated; empty: everyone.")}
        <div className="flex flex-col gap-1 text-sm md:col-span-3 md:flex-row md:gap-5">
          {(
            [
              ["writesWithoutWhere", "UPDATE/DELETE without WHERE, TRUNCATE"],
              ["copiesServerFile", mysql ? "Server files: INTO OUTFILE, LOAD DATA, LOAD_FILE" : "COPY to/from a server file"],
              ["copiesProgram", "COPY ... PROGRAM"],
            ] as const
          )
            .filter(([k]) => !sqlOnly(k))
            .map(([k, label]) => (
              <label key={k} className="flex items-center gap-1.5">
                <input type="checkbox" disabled={readOnly} checked={rule[k]} onChange={(e) => set(k, e.target.checked)} />
                {label}
              </label>
            ))}
        </div>
        {rule.action === "review" ? (
          <>
            {txt("approvers", "Approver groups", "any approver", "Comma-separated; empty: any approver.")}
            <Field label="Approvals needed" name={id("requiredApprovals")} error={errors.requiredApprovals}>
              <Select name={id("requiredApprovals")} value={rule.requiredApprovals || "1"} disabled={readOnly} onChange={(e) => set("requiredApprovals", e.target.value === "1" ? "" : e.target.value)}>
                {[1, 2, 3, 4, 5].map((n) => (
                  <option key={n} value={String(n)}>
                    {n}
                  </option>
                ))}
              </Select>
            </Field>
            <Field label="Timeout (seconds)" name={id("timeoutSeconds")} hint="5 to 86400; empty: the gateway's default." error={errors.timeoutSeconds}>
              <TextInput
                name={id("timeoutSeconds")}
                type="number"
                min={5}
                max={86400}
                inputMode="numeric"
                value={rule.timeoutSeconds}
                placeholder="default"
                disabled={readOnly}
                invalid={Boolean(errors.timeoutSeconds)}
                onChange={(e) => set("timeoutSeconds", e.target.value)}
              />
            </Field>
          </>
        ) : null}
      </div>
    </section>
  );
}
