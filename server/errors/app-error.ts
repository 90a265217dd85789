import { TRPCError } from "@trpc/server";

/** The console's one error type: a code a client can branch on, and a message a person can act on. */
export const APP_ERROR_CODES = {
  UNAUTHENTICATED: "UNAUTHORIZED",
  FORBIDDEN: "FORBIDDEN",
  NOT_FOUND: "NOT_FOUND",
  CONFLICT: "CONFLICT",
  INVALID_INPUT: "BAD_REQUEST",
  TARGET_UNREACHABLE: "BAD_GATEWAY",
  INTERNAL: "INTERNAL_SERVER_ERROR",
} as const satisfies Record<string, TRPCError["code"]>;

export type AppErrorCode = keyof typeof APP_ERROR_CODES;

export class AppError extends Error {
  constructor(
    readonly code: AppErrorCode,
    message: string,
    /** Field-level messages for forms: field name -> message. */
    readonly fieldErrors?: Record<string, string>,
  ) {
    super(message);
  }

  toTRPC(): TRPCError {
    return new TRPCError({ code: APP_ERROR_CODES[this.code], message: this.message, cause: this });
  }
}

/** Domain functions throw plain Errors with a readable message for bad input; this classifies them. */
export function invalidInput(message: string, field?: string): AppError {
  return new AppError("INVALID_INPUT", message, field ? { [field]: message } : undefined);
}
