#!/usr/bin/env node
// The `gatehouse` command: runs the TypeScript CLI through tsx's loader, in this process.
import { register } from "tsx/esm/api";

register();
await import("../gateway/cli/main.ts");
