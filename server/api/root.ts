import "server-only";
import { accessRouter } from "./routers/access";
import { agentsRouter } from "./routers/agents";
import { auditRouter } from "./routers/audit";
import { connectionsRouter } from "./routers/connections";
import { connectorsRouter } from "./routers/connectors";
import { meRouter } from "./routers/me";
import { reviewsRouter } from "./routers/reviews";
import { accessRequestsRouter } from "./routers/access-requests";
import { guardrailsRouter } from "./routers/guardrails";
import { maskingRouter } from "./routers/masking";
import { sessionsRouter } from "./routers/sessions";
import { sshKeysRouter } from "./routers/ssh-keys";
import { terminalRouter } from "./routers/terminal";
import { usersRouter } from "./routers/users";
import { budgetsRouter } from "./routers/budgets";
import { createCallerFactory, createTRPCRouter } from "./trpc";

export const appRouter = createTRPCRouter({
  me: meRouter,
  connections: connectionsRouter,
  connectors: connectorsRouter,
  access: accessRouter,
  agents: agentsRouter,
  sessions: sessionsRouter,
  audit: auditRouter,
  users: usersRouter,
  reviews: reviewsRouter,
  accessRequests: accessRequestsRouter,
  guardrails: guardrailsRouter,
  masking: maskingRouter,
  budgets: budgetsRouter,
  terminal: terminalRouter,
  sshKeys: sshKeysRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
