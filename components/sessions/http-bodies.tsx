"use client";

/** A body an HTTP request's audit event kept (the connection's "Bodies kept in the audit log"). */
type StoredBody = { bytes: number; truncated: boolean; contentType: string | null; text?: string; binary?: boolean };

const size = (n: number) => (n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} kB` : `${(n / 1024 / 1024).toFixed(1)} MB`);

function storedBody(v: unknown): StoredBody | null {
  if (!v || typeof v !== "object") return null;
  const b = v as Partial<StoredBody>;
  return typeof b.bytes === "number"
    ? { bytes: b.bytes, truncated: Boolean(b.truncated), contentType: b.contentType ?? null, text: typeof b.text === "string" ? b.text : undefined, binary: Boolean(b.binary) }
    : null;
}

/**
 * Compact JSON shown indented, only when parsing and writing it back gives the very same text (a
 * number no JavaScript number holds, 12345678901234567890, would otherwise be shown changed);
 * anything else as it was kept.
 */
function pretty(b: StoredBody): string {
  if (!b.text) return "";
  if (!b.truncated && /json/.test(b.contentType ?? "")) {
    try {
      const parsed: unknown = JSON.parse(b.text);
      if (JSON.stringify(parsed) === b.text) return JSON.stringify(parsed, null, 2);
    } catch {
      // not whole JSON: shown as kept
    }
  }
  return b.text;
}

function Body({ label, body }: { label: string; body: StoredBody }) {
  const about = `${size(body.bytes)}${body.contentType ? ` · ${body.contentType}` : ""}${body.truncated ? " · cut: only the start was kept" : ""}`;
  return (
    <details className="mt-1 text-xs">
      <summary className="cursor-pointer select-none text-slate-600 hover:text-slate-900">
        {label} <span className="text-slate-500">({about})</span>
      </summary>
      {body.binary ? (
        <p className="mt-1 italic text-slate-500">Not text (or compressed): only its size was kept.</p>
      ) : (
        <pre className="mt-1 max-h-72 overflow-auto whitespace-pre-wrap break-words rounded border border-slate-200 bg-slate-50 p-2 font-mono text-[11px] text-slate-800">{pretty(body)}</pre>
      )}
    </details>
  );
}

/** The request and response bodies an HTTP request's event kept, each folded under its size. */
export function HttpBodies({ details }: { details: unknown }) {
  if (!details || typeof details !== "object") return null;
  const d = details as { requestBody?: unknown; responseBody?: unknown };
  const request = storedBody(d.requestBody);
  const response = storedBody(d.responseBody);
  if (!request && !response) return null;
  return (
    <div data-testid="http-bodies">
      {request ? <Body label="Request body" body={request} /> : null}
      {response ? <Body label="Response body" body={response} /> : null}
    </div>
  );
}
