import type { TestProject } from "vitest/node";
import { startPgServer, psqlAdmin } from "./pg-server";

/** One private PostgreSQL for the whole run; each test file makes its own databases in it. */
export default async function setup(project: TestProject) {
  const pg = await startPgServer();
  // The target role authenticates with scram-sha-256 over TCP, as a production target would.
  try {
    psqlAdmin(pg, ["create role app login password 'secret'", "create database shop owner app"]);
  } catch (err) {
    await pg.stop();
    throw err;
  }
  project.provide("pg", { port: pg.port, socketDir: pg.socketDir });
  return () => pg.stop();
}

declare module "vitest" {
  export interface ProvidedContext {
    pg: { port: number; socketDir: string };
  }
}
