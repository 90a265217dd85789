import { errorResponse } from "./backend-messages";

export type Severity = "ERROR" | "FATAL" | "PANIC" | "WARNING" | "NOTICE";

/** An error the gateway raises itself; serialises to a proper ErrorResponse with an SQLSTATE. */
export class PgError extends Error {
  constructor(
    readonly severity: Severity,
    readonly code: string,
    message: string,
    readonly detail?: string,
    readonly hint?: string,
  ) {
    super(message);
  }

  toMessage(): Buffer {
    return errorResponse({ severity: this.severity, code: this.code, message: this.message, detail: this.detail, hint: this.hint });
  }
}
