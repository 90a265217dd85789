import type { MaskingRules } from "../../core/masking/masking-rules";

export type MaskingSummary = {
  columnRules: number;
  /** Built-in detectors on: "all" when the rules leave the list unset (every built-in, later ones too). */
  builtIn: number | "all";
  custom: number;
  detectorStyle: MaskingRules["detectors"]["style"];
  exemptGroups: string[];
  /** Nothing is masked for anyone: no column rule and no detector. */
  masksNothing: boolean;
};

/** What the list page says about a connection's rules. Pure. */
export function summariseMaskingRules(rules: MaskingRules): MaskingSummary {
  const builtIn = rules.detectors.builtIn?.length ?? "all";
  const custom = rules.detectors.custom.length;
  return {
    columnRules: rules.columns.length,
    builtIn,
    custom,
    detectorStyle: rules.detectors.style,
    exemptGroups: rules.exemptGroups,
    masksNothing: rules.columns.length === 0 && builtIn === 0 && custom === 0,
  };
}
