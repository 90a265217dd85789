#!/usr/bin/env node
// The `gatehouse` command: the CLI compiled into one file (bin/compiled.mjs), about 0.37 s a command
// against about 1 s through tsx. GATEHOUSE_CLI_NO_BUILD=1 runs the sources through tsx instead.
import { runCompiled } from "./compiled.mjs";

// node-postgres asks at load whether it runs in Cloudflare Workers: with no `navigator` global (Node
// before 21) it builds a `Response`, which loads Node's whole fetch implementation (about 37 ms of
// every command here). Node 21 and later define `navigator` with this user agent; on Node 20 the
// command defines the same, so that pg reads it and skips the fetch machinery.
globalThis.navigator ??= { userAgent: `Node.js/${process.versions.node.split(".")[0]}` };

await runCompiled({ name: "cli", entry: "gateway/cli/main.ts", noBuild: process.env.GATEHOUSE_CLI_NO_BUILD === "1" });
