import { StatusError } from "./store";

/** RFC 7386 JSON merge patch (also how the stand-in reads a strategic merge patch and a server-side apply: lists are replaced whole). */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== "object" || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> = target !== null && typeof target === "object" && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch as Record<string, unknown>)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

type Op = { op: string; path: string; value?: unknown; from?: string };

/** RFC 6902 JSON patch: add, replace, remove, test (what `kubectl patch --type json` sends). */
export function jsonPatch(doc: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw new StatusError(400, "BadRequest", "the JSON patch is not an array of operations");
  let out = structuredClone(doc);
  for (const o of ops as Op[]) {
    const parts = o.path
      .split("/")
      .slice(1)
      .map((p) => p.replaceAll("~1", "/").replaceAll("~0", "~"));
    const last = parts.pop();
    if (last === undefined) {
      out = o.value;
      continue;
    }
    let at = out as Record<string, unknown> | unknown[];
    for (const p of parts) {
      const next = Array.isArray(at) ? at[Number(p)] : at[p];
      if (next === null || typeof next !== "object") throw new StatusError(422, "Invalid", `the path ${o.path} does not exist`);
      at = next as Record<string, unknown>;
    }
    const arr = Array.isArray(at) ? at : null;
    const obj = at as Record<string, unknown>;
    if (o.op === "add") {
      if (arr) arr.splice(last === "-" ? arr.length : Number(last), 0, o.value);
      else obj[last] = o.value;
    } else if (o.op === "replace") {
      if (arr) arr[Number(last)] = o.value;
      else obj[last] = o.value;
    } else if (o.op === "remove") {
      if (arr) arr.splice(Number(last), 1);
      else delete obj[last];
    } else if (o.op === "test") {
      const v = arr ? arr[Number(last)] : obj[last];
      if (JSON.stringify(v) !== JSON.stringify(o.value)) throw new StatusError(422, "Invalid", `the test of ${o.path} failed`);
    } else throw new StatusError(422, "Invalid", `the JSON patch operation ${o.op} is not supported by the stand-in`);
  }
  return out;
}
