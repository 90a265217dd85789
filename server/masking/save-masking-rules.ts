import "server-only";
import type { Db } from "../../drizzle/client";
import { applyMaskingRules } from "../../core/masking/manage-masking";
import type { ConsoleUserContext } from "../auth/current-user";
import { recordConsoleEvent } from "../audit/record-console-event";
import { AppError } from "../errors/app-error";
import { checkMaskingRules } from "./check-masking-rules";
import { readMaskingRow } from "./get-masking-rules";
import { summariseMaskingRules } from "./summarise-masking-rules";

/**
 * Validates a rules document (the gateway's schema, issues under their form fields) and stores it
 * through the gateway's own applyMaskingRules, which publishes `masking.changed` so every gateway
 * instance reloads it; the change is an audit event with the rules before and after.
 */
export async function saveMaskingRules(db: Db, user: ConsoleUserContext, name: string, input: unknown) {
  const check = checkMaskingRules(input);
  if (!check.ok) throw new AppError("INVALID_INPUT", check.message, check.fieldErrors);
  const before = await readMaskingRow(db, name);
  const after = await applyMaskingRules(db, name, check.rules);
  const s = summariseMaskingRules(after);
  const detectors = s.builtIn === "all" ? "all built-in detectors" : `${s.builtIn} built-in detector(s)`;
  await recordConsoleEvent(db, {
    action: "console.masking.update",
    outcome: "ok",
    actor: user.email,
    actorIdentityId: user.identityId,
    connectionName: name,
    target: before.id,
    before: before.rules,
    after,
    message: `${s.columnRules} column rule(s), ${detectors}, ${s.custom} custom, exempt groups: ${s.exemptGroups.join(", ") || "none"}`,
  });
  return { saved: true };
}
