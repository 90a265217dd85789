import type { StatementClass } from "./classify-statement";
import type { LockLevel } from "./lock-levels";
import type { HttpRequestFacts } from "./http-request";
import type { KubernetesRequestFacts } from "./kubernetes-request";
import type { ToolCallFacts } from "./mcp-tool-call";

/**
 * One neutral description of what a client asked for, whatever the protocol: a SQL statement, a
 * shell command, an HTTP request (`DELETE /v1/customers/42`), a Kubernetes verb on a resource (`delete namespaces`), an MCP tool call (`delete_file`). Each
 * protocol's classifier produces it; the policy engine judges only this.
 */
export type Command = {
  /** The text as the client sent it (what a `regex` rule reads). */
  text: string;
  /** What it is called in rules, refusals and the audit: `DROP TABLE`, `RM /TMP/X`. */
  kind: string;
  /** How a refusal names it: "statement" for SQL (`this DROP TABLE statement`), else "command". */
  noun: "statement" | "command" | "request" | "tool call";
  /** Kinds of what it really runs besides its own (a PREPAREd statement, `bash -c '...'`...); `kinds` rules match these too. */
  runs: string[];
  /** Some of what it runs cannot be told from its text (a shell command's program named by a variable or a glob, a script a shell reads from its input): deny and review `kinds` rules meet it. */
  unknownRuns?: boolean;
  /** When only called functions whose code cannot be read made the runs unknown: their names (an allow rule naming them in `functions` vouches for them). */
  unknownFrom?: string[];
  classes: StatementClass[];
  /** What it touches: tables for SQL (schema-qualified as written); matched by `tables` rules. */
  resources: string[];
  /** The tables it names itself, when the code it sets off (a function's body, a trigger, a view's definition) added others to `resources`: an allow rule's `tables` must cover these. */
  namedResources?: string[];
  /** Other names what it touches may have: an unqualified table under each schema of the session's search path (`*.name`: any schema). Deny and review `tables` rules meet them too. */
  possibleResources?: string[];
  /** Functions it calls, lower case. */
  functions: string[];
  /** An UPDATE or DELETE of every row, a COPY from or to a server file, through a program. */
  writesWithoutWhere: boolean;
  copiesServerFile: boolean;
  copiesProgram: boolean;
  /** Session settings it changes that alter what later commands may do. */
  sessionSettings: string[];
  /** The strongest table lock a SQL statement takes (null: none, or not SQL); matched by `locks` rules at that level or stronger. */
  locks: LockLevel | null;
  /** An HTTP request's query, headers and body, for rules with request conditions (absent for other protocols). */
  request?: HttpRequestFacts;
  /** A Kubernetes request's verb, resource, namespace and name, for rules with Kubernetes conditions (absent for other protocols). */
  kubernetes?: KubernetesRequestFacts;
  /**
   * What else it amounts to, in the terms other rules use (a kubelet's `run/` through `nodes/proxy` is a
   * `create pods/exec` in that pod): deny and review rules meet these kinds and Kubernetes facts too.
   */
  amountsTo?: { kinds: string[]; kubernetes: KubernetesRequestFacts[] };
  /** An MCP tool call's name and arguments, for rules with argument conditions (absent for other protocols). */
  toolCall?: ToolCallFacts;
};

/** What a Command is when nothing about it is known but its text and kind. */
export const plainCommand = (text: string, kind: string, noun: Command["noun"] = "command"): Command => ({
  text,
  kind,
  noun,
  runs: [],
  classes: [],
  resources: [],
  functions: [],
  writesWithoutWhere: false,
  copiesServerFile: false,
  copiesProgram: false,
  sessionSettings: [],
  locks: null,
});
