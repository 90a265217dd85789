import { readFileSync } from "node:fs";
import type { Db } from "../../drizzle/client";
import { applyMaskingRules, showMaskingRules } from "../../core/masking/manage-masking";

export const MASKING_USAGE = `  masking apply <connection> -f rules.json            set a connection's masking rules (validated)
  masking show <connection>                            print them as JSON`;

type Out = (line: string) => void;

export async function runMaskingCommand(db: Db, sub: string | undefined, args: string[], opts: { file?: string }, out: Out, err: Out): Promise<void> {
  if (sub === "apply") {
    if (!args[0] || !opts.file) throw new Error("masking apply needs <connection> -f rules.json");
    let input: unknown;
    try {
      input = JSON.parse(readFileSync(opts.file, "utf8"));
    } catch (e) {
      throw new Error(`cannot read ${opts.file}: ${(e as Error).message}`);
    }
    const r = await applyMaskingRules(db, args[0], input);
    const detectors = (r.detectors.builtIn?.length ?? "all built-in") + (r.detectors.custom.length ? ` + ${r.detectors.custom.length} custom` : "");
    return out(`masking rules of ${args[0]} set: ${r.columns.length} column rule(s), detectors: ${detectors}, exempt groups: ${r.exemptGroups.join(", ") || "none"}`);
  }
  if (sub === "show") {
    if (!args[0]) throw new Error("masking show needs <connection>");
    const shown = await showMaskingRules(db, args[0]);
    if (shown?.problem)
      err(`masking rules of ${args[0]}: ${shown.problem}; sessions on this connection are refused until they are corrected and applied again (gatehouse masking apply ${args[0]} -f rules.json)\n`);
    return out(JSON.stringify(shown?.document ?? { note: "no masking rules set" }, null, 2));
  }
  throw new Error(`unknown masking command "${sub ?? ""}"`);
}
