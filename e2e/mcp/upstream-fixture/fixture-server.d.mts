import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
export function createFixtureServer(stateFile: string, credential?: string): Server;
