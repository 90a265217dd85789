"use client";
import { Button } from "../ui/button";
import { Field, Select, TextInput } from "../ui/field";
import { Card } from "../ui/page";
import { emptyCustom, STYLE_LABELS, STYLES, type DraftErrors, type MaskStyle, type RulesDraft } from "./rules-draft";

type DetectorInfo = { id: string; label: string; description: string };
type Props = { draft: RulesDraft; detectors: DetectorInfo[]; errors: DraftErrors; readOnly: boolean; onChange: (d: RulesDraft) => void };

/** Detectors scan every text value whatever its column: the built-in ones, custom regexes, and how hits are masked. */
export function DetectorsCard({ draft, detectors, errors, readOnly, onChange }: Props) {
  const tick = (id: string, on: boolean) => onChange({ ...draft, builtIn: on ? [...draft.builtIn, id] : draft.builtIn.filter((x) => x !== id) });
  const setCustom = (i: number, c: RulesDraft["custom"][number]) => onChange({ ...draft, custom: draft.custom.map((x, j) => (j === i ? c : x)) });
  const allTicked = detectors.every((d) => draft.builtIn.includes(d.id));
  return (
    <Card title="Content detectors: any column, any text">
      <fieldset>
        <legend className="text-sm font-medium text-slate-700">Built-in detectors</legend>
        <div className="mt-2 grid gap-x-4 gap-y-2 sm:grid-cols-2">
          {detectors.map((d) => (
            <label key={d.id} className="flex items-start gap-2 text-sm">
              <input type="checkbox" className="mt-1" disabled={readOnly} checked={draft.builtIn.includes(d.id)} onChange={(e) => tick(d.id, e.target.checked)} aria-describedby={`det-${d.id}-hint`} />
              <span className="min-w-0">
                <span className="font-medium text-slate-800">{d.label}</span>
                <span id={`det-${d.id}-hint`} className="block text-xs text-slate-500">
                  {d.description}
                </span>
              </span>
            </label>
          ))}
        </div>
        <p className="mt-2 text-xs text-slate-500">
          {allTicked
            ? "All ticked: every built-in detector runs, including those a later version adds."
            : "Hits inside JSON, arrays and longer text are masked in place; the rest of the value is kept."}
        </p>
        {errors.top["detectors.builtIn"] ? (
          <p role="alert" className="mt-1 text-xs text-rose-600">
            {errors.top["detectors.builtIn"]}
          </p>
        ) : null}
      </fieldset>

      <div className="mt-5 space-y-3">
        <p className="text-sm font-medium text-slate-700">Custom detectors</p>
        {draft.custom.length === 0 ? <p className="text-xs text-slate-500">None: add a regular expression for values only your data has (employee ids, internal account numbers).</p> : null}
        {draft.custom.map((c, i) => (
          <div key={i} role="group" aria-label={`Custom detector ${i + 1}`} className="grid items-start gap-3 rounded-md border border-slate-200 p-3 md:grid-cols-[12rem_minmax(0,1fr)_auto]">
            <Field label="Id" name={`custom${i}-id`} hint="Shown as [REDACTED:id]." error={errors.custom[i]?.id}>
              <TextInput
                name={`custom${i}-id`}
                value={c.id}
                placeholder="employee-id"
                disabled={readOnly}
                invalid={Boolean(errors.custom[i]?.id)}
                onChange={(e) => setCustom(i, { ...c, id: e.target.value })}
              />
            </Field>
            <Field label="Pattern" name={`custom${i}-pattern`} hint="A regular expression, case-insensitive, RE2 syntax (no lookaround or back-references)." error={errors.custom[i]?.pattern}>
              <TextInput
                name={`custom${i}-pattern`}
                value={c.pattern}
                placeholder="E-\d{6}"
                disabled={readOnly}
                invalid={Boolean(errors.custom[i]?.pattern)}
                onChange={(e) => setCustom(i, { ...c, pattern: e.target.value })}
              />
            </Field>
            {readOnly ? null : (
              <Button
                size="sm"
                variant="ghost"
                className="md:mt-6"
                onClick={() => onChange({ ...draft, custom: draft.custom.filter((_, j) => j !== i) })}
                aria-label={`Remove custom detector ${i + 1}`}
              >
                Remove
              </Button>
            )}
          </div>
        ))}
        {readOnly ? null : (
          <Button size="sm" variant="secondary" onClick={() => onChange({ ...draft, custom: [...draft.custom, emptyCustom()] })}>
            Add custom detector
          </Button>
        )}
      </div>

      <div className="mt-5 max-w-xs">
        <Field label="Detector mask style" name="detector-style" hint="How a hit is replaced, for every detector." error={errors.top["detectors.style"]}>
          <Select name="detector-style" value={draft.detectorStyle} disabled={readOnly} onChange={(e) => onChange({ ...draft, detectorStyle: e.target.value as MaskStyle })}>
            {STYLES.map((s) => (
              <option key={s} value={s}>
                {s === "redact" ? "redact ([REDACTED:email]…)" : STYLE_LABELS[s]}
              </option>
            ))}
          </Select>
        </Field>
      </div>
    </Card>
  );
}
