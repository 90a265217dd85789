import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestGateway, type TestGateway } from "../support/gateway-harness";

let t: TestGateway;
let key: string;

beforeAll(async () => {
  t = await startTestGateway();
  key = await t.setupAccess();
});
afterAll(() => t?.close());

describe("[POSTGRES][PSQL] a psql session through the gateway", () => {
  it("runs queries with the key as password and the connection as database", async () => {
    const r = await t.psql(key, "pg-prod", ["-qAtc", "select current_user, current_database()"]);
    expect(r.stderr).toBe("");
    expect(r.stdout.trim()).toBe("app|shop");
  });
});
