#!/usr/bin/env node
// The gateway process (`npm run gateway`, and what `npm start` runs): gateway/main.ts compiled into
// one file (bin/compiled.mjs), so it starts without tsx's loader and its data path runs the plain
// compiled code. GATEHOUSE_GATEWAY_NO_BUILD=1 runs the sources through tsx instead.
import { runCompiled } from "./compiled.mjs";

await runCompiled({ name: "gateway", entry: "gateway/main.ts", noBuild: process.env.GATEHOUSE_GATEWAY_NO_BUILD === "1" });
