"use client";
import type { HostKeyCheck, TestResult } from "../../core/connections/connection-type";
import { ErrorBox } from "../ui/page";

/** What the last "Test connection" found: the server's version and the time it took, or the target's own error; for SSH, its host key against the pin. */
export function TestResultBox({ result }: { result: TestResult }) {
  if (result.ok) {
    return (
      <div role="status" className="space-y-1 rounded-md bg-emerald-50 px-3 py-2 text-sm text-emerald-800">
        <p className="break-words">
          Connected in {result.ms} ms: {result.serverVersion}
          {result.hostKey ? (
            <>
              {" "}
              (host key <code className="break-all font-mono text-xs">{result.hostKey.fingerprint}</code>)
            </>
          ) : null}
        </p>
        {result.hostKey ? <HostKeyVerdict check={result.hostKey} /> : null}
      </div>
    );
  }
  return (
    <div className="space-y-2">
      <ErrorBox title={`Could not connect (after ${result.ms} ms)`} message={result.error} />
      {result.hostKey && result.hostKey.matches !== false ? (
        <p className="text-xs text-slate-600">
          The target's host key is <code className="break-all font-mono">{result.hostKey.fingerprint}</code>
          {result.hostKey.matches ? ", the pinned one." : "."}
        </p>
      ) : null}
    </div>
  );
}

function HostKeyVerdict({ check }: { check: HostKeyCheck }) {
  if (check.matches) return <p className="text-xs">It matches the pinned key.</p>;
  if (check.pinned === null)
    return (
      <p className="text-xs">
        No key is pinned yet: the first connection through the gateway pins the key it is offered. Compare it with <code className="font-mono">ssh-keygen -lf</code> on the target.
      </p>
    );
  return <p className="text-xs font-medium text-rose-700">It does not match the pinned key {check.pinned}.</p>;
}
