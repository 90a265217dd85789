import { describe, expect, it } from "vitest";
import net from "node:net";
import { StatementAnalyzer } from "../../../core/sql/statement-analyzer";
import { TargetCatalog } from "./column-catalog";
import type { PgTarget } from "./target-socket";

describe("the target catalog's routine lookups", () => {
  it("remember a failed lookup for seconds, not the minute a read lasts (guardrails refuse calls meanwhile)", async () => {
    // A port nobody listens on: the catalog's connection is refused at once.
    const server = net.createServer().listen(0, "127.0.0.1");
    await new Promise((r) => server.once("listening", r));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise((r) => server.close(r));
    let now = 1_000_000;
    const target = { host: "127.0.0.1", port, database: "x", user: "x", sslmode: "disable" } as PgTarget;
    const catalog = new TargetCatalog(target, new StatementAnalyzer(), () => now);
    await expect(catalog.loadRoutineNames(["erase_row"])).rejects.toThrow();
    await expect(catalog.loadBuiltinRoutines()).rejects.toThrow();
    expect(catalog.routineDefinitions("erase_row")).toBeNull();
    expect(catalog.builtinRoutines()).toBeNull();
    now += 4_000;
    expect(catalog.routineDefinitions("erase_row")).toBeNull();
    now += 2_000;
    // Looked up again at the next call that needs it.
    expect(catalog.routineDefinitions("erase_row")).toBeUndefined();
    expect(catalog.builtinRoutines()).toBeUndefined();
    await catalog.close();
  });
});
