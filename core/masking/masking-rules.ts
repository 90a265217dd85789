import { z } from "zod";
import { BUILT_IN_DETECTORS } from "./detectors";
import { isJsonPath, JSON_PATH_RULE } from "./json-masker";
import { patternField, type PatternCheck } from "../policy/linear-pattern";
import { issueLines } from "../config/invalid-stored";

/**
 * A connection's masking rules document (pure: the console validates and previews with it, the
 * gateway enforces it). Column rules name `table.column` or `schema.table.column` patterns with `*`
 * wildcards; detectors scan every text value whatever its column; members of `exemptGroups` see
 * results unmasked.
 */
const style = z.enum(["redact", "partial", "token"]);
const BUILT_IN_IDS = BUILT_IN_DETECTORS.map((d) => d.id) as [string, ...string[]];

const columnRuleSchema = z
  .object({
    /** `users.email`, `public.users.email`, `*.email`, `billing.*.card*`. */
    column: z
      .string()
      .min(1)
      .max(200)
      .regex(/^[^.\s]+(\.[^.\s]+){1,2}$/, "write table.column or schema.table.column"),
    style: style.default("redact"),
    /** Members of these groups see this column unmasked. */
    exemptGroups: z.array(z.string().min(1)).optional(),
  })
  .strict();

/** A rule on JSON paths of HTTP (and other JSON) bodies: the value there, or everything inside it, masked whole. */
const pathRuleSchema = z
  .object({
    path: z.string().min(2).max(300).refine(isJsonPath, JSON_PATH_RULE),
    style: style.default("redact"),
    exemptGroups: z.array(z.string().min(1)).optional(),
  })
  .strict();

const customDetectorSchema = (patterns: PatternCheck) =>
  z
    .object({
      id: z
        .string()
        .min(1)
        .max(60)
        .regex(/^[a-z0-9][a-z0-9-]*$/, "lower-case letters, digits and dashes"),
      pattern: patternField(z.string().min(1).max(500), patterns),
    })
    .strict();

const makeMaskingRulesSchema = (patterns: PatternCheck) =>
  z
    .object({
      columns: z.array(columnRuleSchema).default([]),
      /** JSON paths in HTTP response bodies (`$.customers[*].email`, `$..iban`). */
      paths: z.array(pathRuleSchema).optional(),
      detectors: z
        .object({
          /** Built-in detectors to run (unset: all of them). */
          builtIn: z.array(z.enum(BUILT_IN_IDS)).optional(),
          custom: z.array(customDetectorSchema(patterns)).default([]),
          style: style.default("redact"),
        })
        .strict()
        .default({ custom: [], style: "redact" }),
      exemptGroups: z.array(z.string().min(1)).default([]),
    })
    .strict()
    .superRefine((doc, ctx) => {
      const ids = new Set<string>(BUILT_IN_IDS);
      doc.detectors.custom.forEach((d, i) => {
        if (ids.has(d.id)) ctx.addIssue({ code: "custom", path: ["detectors", "custom", i, "id"], message: `"${d.id}" is already a detector's name` });
        ids.add(d.id);
      });
    });

export const maskingRulesSchema = makeMaskingRulesSchema("checked");
/** Masking rules as an earlier release may have stored them (patterns unchecked): for showing them, never for enforcing them. */
export const storedMaskingRulesShape = makeMaskingRulesSchema("as-stored");

export type MaskingRules = z.infer<typeof maskingRulesSchema>;
export type ColumnRule = z.infer<typeof columnRuleSchema>;
export type PathRule = z.infer<typeof pathRuleSchema>;

/** Validates a rules document; the issues read like the policy CLI's (`path: message`). */
export function validateMaskingRules(input: unknown): { ok: true; rules: MaskingRules } | { ok: false; issues: string[] } {
  const parsed = maskingRulesSchema.safeParse(input);
  if (parsed.success) return { ok: true, rules: parsed.data };
  return { ok: false, issues: issueLines(parsed.error, "(rules)") };
}

export const BUILT_IN_DETECTOR_IDS: readonly string[] = BUILT_IN_IDS;
