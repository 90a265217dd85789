import { describe, expect, it } from "vitest";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { run } from "../support/run-program";

// The `gatehouse` command runs the CLI compiled into one file, rebuilt when a source it was built
// from changes (a stale build would run old code), and falls back to tsx when it cannot build.
const root = path.resolve(import.meta.dirname, "../..");
const bin = path.join(root, "bin/gatehouse.mjs");
const stampFile = path.join(root, "node_modules/.cache/gatehouse-cli/inputs.json");
const bundle = path.join(root, "node_modules/.cache/gatehouse-cli/cli.mjs");
const gatehouse = (env: Record<string, string> = {}) => run(process.execPath, [bin, "--help"], { env });

describe("[CLI] the compiled gatehouse command", () => {
  it("builds from the CLI's sources, rebuilds when one changed, and runs through tsx when told not to build", async () => {
    const first = await gatehouse();
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain("connections add");
    const stamp = JSON.parse(readFileSync(stampFile, "utf8")) as Record<string, string>;
    expect(Object.keys(stamp)).toEqual(expect.arrayContaining(["gateway/cli/main.ts", "gateway/cli/run-cli.ts", "drizzle/migrate.ts"]));

    // A source that no longer matches what the build saw: the next command rebuilds first.
    const builtAt = statSync(bundle).mtimeMs;
    writeFileSync(stampFile, JSON.stringify({ ...stamp, "gateway/cli/main.ts": "0:0" }));
    await new Promise((r) => setTimeout(r, 20));
    const again = await gatehouse();
    expect(again.code, again.stderr).toBe(0);
    expect(statSync(bundle).mtimeMs).toBeGreaterThan(builtAt);
    expect(JSON.parse(readFileSync(stampFile, "utf8"))["gateway/cli/main.ts"]).not.toBe("0:0");

    // Stale and not allowed to build: the TypeScript sources through tsx, same answer.
    writeFileSync(stampFile, JSON.stringify({ ...stamp, "gateway/cli/main.ts": "0:0" }));
    const viaTsx = await gatehouse({ GATEHOUSE_CLI_NO_BUILD: "1" });
    expect(viaTsx.code, viaTsx.stderr).toBe(0);
    expect(viaTsx.stdout).toBe(first.stdout);
    expect(JSON.parse(readFileSync(stampFile, "utf8"))["gateway/cli/main.ts"]).toBe("0:0");
    expect((await gatehouse()).code).toBe(0);
  }, 60_000);
});
