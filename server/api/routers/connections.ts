import "server-only";
import { createTRPCRouter } from "../trpc";

export const connectionsRouter = createTRPCRouter({});
