import { z } from "zod";
import { LOCK_LEVELS } from "./lock-levels";
import { patternField, type PatternCheck } from "./linear-pattern";

/**
 * A connection's guardrail policy: rules evaluated in order, the first that matches decides, and
 * the default decides when none does. (The rule language the guardrails issue enforces; this module
 * is pure so the console can preview a rule against a statement.)
 */
const statementClass = z.enum(["read", "write", "ddl", "privileges", "utility", "transaction", "session", "anonymous-code"]);

const ruleSchema = (patterns: PatternCheck) =>
  z.object({
    name: z.string().min(1).max(100),
    action: z.enum(["allow", "deny", "review"]),
    /** Only for these groups / identities (unset: everyone). */
    groups: z.array(z.string()).optional(),
    identities: z.array(z.string()).optional(),
    /** Every given condition must hold; lists match when any entry matches. */
    match: z
      .object({
        classes: z.array(statementClass).optional(),
        kinds: z.array(z.string()).optional(),
        tables: z.array(z.string()).optional(),
        functions: z.array(z.string()).optional(),
        writesWithoutWhere: z.literal(true).optional(),
        copiesServerFile: z.literal(true).optional(),
        copiesProgram: z.literal(true).optional(),
        sessionSettings: z.array(z.string()).optional(),
        /** Statements that take this table lock or a stronger one ("ACCESS EXCLUSIVE": VACUUM FULL, CLUSTER, most ALTER TABLE...). */
        locks: z.enum(LOCK_LEVELS).optional(),
        /** HTTP requests only, each value a `*` glob on the value's text: query parameters, headers (by name), JSON body fields (by JSON pointer, `/customer/email`). */
        query: z.record(z.string().min(1).max(200), z.string().max(1000)).optional(),
        headers: z.record(z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/, "a header name"), z.string().max(1000)).optional(),
        body: z.record(z.string().regex(/^(\/([^~/]|~[01])*)+$/, "a JSON pointer (/field/0/name)"), z.string().max(1000)).optional(),
        /** Kubernetes requests only, each entry a `*` glob: verbs (get, list, watch, create, update, patch, delete, deletecollection), resources (`deployments`, `deployments.apps`, `pods/exec`), namespaces, object names. */
        verbs: z.array(z.string().min(1).max(100)).optional(),
        resources: z.array(z.string().min(1).max(200)).optional(),
        namespaces: z.array(z.string().min(1).max(253)).optional(),
        names: z.array(z.string().min(1).max(253)).optional(),
        /** MCP tool calls only: the call's arguments by JSON pointer (`/path`, `/options/force`), each value a `*` glob on the value's text. */
        arguments: z.record(z.string().regex(/^(\/([^~/]|~[01])*)+$/, "a JSON pointer (/field/0/name)"), z.string().max(1000)).optional(),
        /** The escape hatch: a regular expression on the statement text (case-insensitive). */
        regex: patternField(z.string(), patterns).optional(),
      })
      .strict(),
    /** For review: groups whose members may approve (unset: any approver), how many must, and how long it may wait. */
    approvers: z.array(z.string()).optional(),
    requiredApprovals: z.number().int().min(1).max(5).optional(),
    timeoutSeconds: z.number().int().min(5).max(86_400).optional(),
  });

const makePolicySchema = (patterns: PatternCheck) =>
  z
    .object({
      defaultAction: z.enum(["allow", "deny", "review"]).default("allow"),
      rules: z.array(ruleSchema(patterns)).default([]),
    })
    // The audit, the refusal message and a review's settings name the deciding rule: names must be unique.
    .superRefine((p, ctx) => {
      const seen = new Set<string>();
      p.rules.forEach((r, i) => {
        if (seen.has(r.name)) ctx.addIssue({ code: "custom", path: ["rules", i, "name"], message: `another rule is already named "${r.name}"` });
        seen.add(r.name);
      });
    });

export const policySchema = makePolicySchema("checked");
/** A policy as an earlier release may have stored it (patterns unchecked): for showing it, never for enforcing it. */
export const storedPolicyShape = makePolicySchema("as-stored");

export type Policy = z.infer<typeof policySchema>;
export type Rule = Policy["rules"][number];
