"use client";
import type { TestResult } from "../../server/connections/test-connection";
import { ErrorBox } from "../ui/page";

/** What the last "Test connection" found: the server's version and the time it took, or the target's own error. */
export function TestResultBox({ result }: { result: TestResult }) {
  if (result.ok) {
    return (
      <p role="status" className="rounded-md bg-emerald-50 px-3 py-2 text-sm text-emerald-800">
        Connected in {result.ms} ms: {result.serverVersion}
      </p>
    );
  }
  return <ErrorBox title={`Could not connect (after ${result.ms} ms)`} message={result.error} />;
}
