import "server-only";
import { initTRPC } from "@trpc/server";
import superjson from "superjson";
import { ZodError, z } from "zod";
import type { ConsoleRole } from "../../core/users/console-users";
import { currentUser } from "../auth/current-user";
import { getDb } from "../db";
import { AppError } from "../errors/app-error";

/** Per request: the database and the signed-in person (null when signed out). */
export async function createContext() {
  return { db: getDb(), user: await currentUser() };
}
type Context = Awaited<ReturnType<typeof createContext>>;

const t = initTRPC.context<Context>().create({
  transformer: superjson,
  errorFormatter({ shape, error }) {
    const cause = error.cause;
    // An unexpected failure's message can quote SQL or internals: the client gets a generic one, the log the rest.
    const internal = error.code === "INTERNAL_SERVER_ERROR" && !(cause instanceof AppError);
    return {
      ...shape,
      message: internal ? "the console hit an internal error; its log has the details" : shape.message,
      data: {
        ...shape.data,
        appCode: cause instanceof AppError ? cause.code : undefined,
        fieldErrors: cause instanceof ZodError ? z.flattenError(cause).fieldErrors : cause instanceof AppError ? cause.fieldErrors : undefined,
      },
    };
  },
});

export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;

/** Logs every call's path, outcome and time, and turns AppErrors into tRPC errors with their status. */
const baseProcedure = t.procedure.use(async ({ path, type, next }) => {
  const started = performance.now();
  const result = await next();
  const ms = (performance.now() - started).toFixed(1);
  if (!result.ok) {
    const cause = result.error.cause;
    if (cause instanceof AppError) return { ...result, error: cause.toTRPC() };
    if (result.error.code === "INTERNAL_SERVER_ERROR") console.error(`[trpc] ${type} ${path} failed after ${ms} ms:`, result.error.cause ?? result.error);
  }
  return result;
});

export const publicProcedure = baseProcedure;

export const protectedProcedure = baseProcedure.use(({ ctx, next }) => {
  if (!ctx.user) throw new AppError("UNAUTHENTICATED", "sign in to use the console").toTRPC();
  return next({ ctx: { ...ctx, user: ctx.user } });
});

/** Admins may do everything; other roles only what their tier names. */
function roleProcedure(...roles: ConsoleRole[]) {
  return protectedProcedure.use(({ ctx, next }) => {
    if (ctx.user.role !== "admin" && !roles.includes(ctx.user.role)) {
      throw new AppError("FORBIDDEN", `this needs the ${[...new Set(["admin", ...roles])].join(" or ")} role; you are ${ctx.user.role}`).toTRPC();
    }
    return next({ ctx });
  });
}

export const adminProcedure = roleProcedure("admin");
export const approverProcedure = roleProcedure("approver");
export const auditorProcedure = roleProcedure("auditor");
/** Those who watch the data path: auditors and approvers (and admins). */
export const watcherProcedure = roleProcedure("auditor", "approver");
