import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "../../server/api/root";

export type AccessOverview = inferRouterOutputs<AppRouter>["access"]["overview"];
export type AccessGroup = AccessOverview["groups"][number];
