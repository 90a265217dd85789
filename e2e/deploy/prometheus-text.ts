/**
 * A strict reader of the Prometheus text exposition format (version 0.0.4), for the tests: every
 * line must be a `# HELP`, a `# TYPE` or a sample of a family declared before it, with valid
 * metric and label names, escaped label values and a float value; anything else throws.
 */
export type Sample = { name: string; labels: Record<string, string>; value: number };
export type Family = { name: string; type: string; help: string; samples: Sample[] };

const NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
const LABEL = `([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\\\\n]|\\\\[\\\\"n])*)"`;
const SAMPLE = new RegExp(`^(${NAME})(?:\\{((?:${LABEL})(?:,${LABEL})*,?)?\\})? (-?(?:[0-9]+(?:\\.[0-9]*)?(?:e[+-]?[0-9]+)?|Nan|NaN|\\+Inf|-Inf))(?: -?[0-9]+)?$`);
const SUFFIXES: Record<string, string[]> = { counter: ["", "_total"], gauge: [""], histogram: ["_bucket", "_sum", "_count"], summary: ["", "_sum", "_count"], untyped: [""] };

export function parsePrometheusText(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  if (!text.endsWith("\n")) throw new Error("the exposition must end with a line break");
  for (const [i, line] of text.slice(0, -1).split("\n").entries()) {
    if (line === "") continue;
    const help = new RegExp(`^# HELP (${NAME}) (.*)$`).exec(line);
    const type = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`).exec(line);
    if (help) {
      family(families, help[1]).help = help[2];
      continue;
    }
    if (type) {
      const f = family(families, type[1]);
      if (f.samples.length) throw new Error(`line ${i + 1}: TYPE after samples of ${type[1]}`);
      f.type = type[2];
      continue;
    }
    if (line.startsWith("#")) throw new Error(`line ${i + 1}: a comment that is neither HELP nor TYPE: ${line}`);
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`line ${i + 1}: not a valid sample: ${line}`);
    const owner = [...families.values()].find((f) => f.type && (SUFFIXES[f.type] ?? [""]).some((s) => m[1] === f.name + s));
    if (!owner) throw new Error(`line ${i + 1}: sample ${m[1]} of no declared family`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(new RegExp(LABEL, "g"))) labels[l[1]] = l[2].replace(/\\n/g, "\n").replace(/\\(["\\])/g, "$1");
    const v = m[7]; // the value: the capture after the name, the label list and two (name, value) pairs
    owner.samples.push({ name: m[1], labels, value: v === "+Inf" ? Infinity : v === "-Inf" ? -Infinity : Number(v) });
  }
  return families;
}

function family(families: Map<string, Family>, name: string): Family {
  let f = families.get(name);
  if (!f) families.set(name, (f = { name, type: "", help: "", samples: [] }));
  return f;
}

/** The value of one sample (0 when absent: a counter with labels appears at its first increment). */
export function sampleValue(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number {
  for (const f of families.values())
    for (const s of f.samples) if (s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v) && Object.keys(s.labels).length === Object.keys(labels).length) return s.value;
  return 0;
}
