import { describe, expect, it } from "vitest";
import { loadConfig } from "./config";
import { workerInstance } from "./workers";

const env = (more: Record<string, string>) =>
  ({ GATEHOUSE_SECRET_KEY: "ab".repeat(32), GATEHOUSE_DATA_DIR: "/tmp/gatehouse-workers-config", GATEHOUSE_INSTANCE: "gw", ...more }) as unknown as NodeJS.ProcessEnv;

describe("GATEHOUSE_WORKERS", () => {
  it("is one process by default, and takes 1 to 64", () => {
    expect(loadConfig(env({})).workers).toBe(1);
    expect(loadConfig(env({ DATABASE_URL: "postgres://db/gh", GATEHOUSE_WORKERS: "4" })).workers).toBe(4);
    for (const bad of ["0", "65", "two", "1.5"]) expect(() => loadConfig(env({ DATABASE_URL: "postgres://db/gh", GATEHOUSE_WORKERS: bad }))).toThrow(/GATEHOUSE_WORKERS/);
  });

  it("refuses more than one worker on the embedded database, saying what to do", () => {
    expect(() => loadConfig(env({ GATEHOUSE_WORKERS: "2" }))).toThrow(/GATEHOUSE_WORKERS: more than one worker needs a PostgreSQL server \(DATABASE_URL\)/);
  });

  it("names each worker's instance after the configured one", () => {
    expect([1, 2].map((i) => workerInstance("gw-a:15432", i))).toEqual(["gw-a:15432#1", "gw-a:15432#2"]);
  });
});
