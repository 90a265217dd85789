import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { run, startTestGateway, type TestGateway } from "../support/gateway-harness";

// pgjdbc (Debian's libpostgresql-jdbc-java) sends start-up parameters that poolers have refused
// (extra_float_digits) and switches to named server-side statements: the gateway must pass it all through.
const jar = "/usr/share/java/postgresql.jar";
let t: TestGateway;
let key: string;
let classes: string;

beforeAll(async () => {
  t = await startTestGateway();
  key = await t.setupAccess({ connection: "jdbc" });
  classes = mkdtempSync(path.join(tmpdir(), "gatehouse-jdbc-"));
  const javac = await run("javac", ["-d", classes, path.join(import.meta.dirname, "fixtures/jdbc/JdbcProbe.java")]);
  if (javac.code !== 0) throw new Error(javac.stderr);
});
afterAll(async () => {
  await t?.close();
  rmSync(classes, { recursive: true, force: true });
});

describe("[POSTGRES][JDBC] pgjdbc through the gateway", () => {
  it("sees exactly what it sees on a direct connection", async () => {
    const probe = (url: string, user: string, password: string) => run("java", ["-cp", `${jar}:${classes}`, "JdbcProbe", url, user, password]);
    const direct = await probe(`jdbc:postgresql://127.0.0.1:${t.target.port}/shop?sslmode=disable`, "app", "secret");
    const gated = await probe(`jdbc:postgresql://127.0.0.1:${t.pgPort}/jdbc?sslmode=disable`, "agent", key);
    expect(direct.code, direct.stderr).toBe(0);
    expect(direct.stdout).toContain("float digits: 3");
    expect(direct.stdout).toContain("error: 22012");
    expect(gated.stderr).toBe("");
    expect(gated.stdout).toBe(direct.stdout);
  });
});
