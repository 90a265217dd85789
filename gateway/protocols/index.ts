import type { ProtocolAdapter } from "../pipeline/adapter";
import { mysqlAdapter } from "./mysql/adapter";
import { postgresAdapter } from "./postgres/adapter";
import { sshAdapter } from "./ssh/adapter";
import { terminalAdapter } from "./terminal/adapter";
import { httpAdapter } from "./http/adapter";
import { mcpAdapter } from "./mcp/adapter";
import { kubernetesAdapter } from "./kubernetes/adapter";

/**
 * Every protocol the gateway speaks, started in this order (an adapter may use the ports of those
 * before it). A new protocol is one folder here with an `adapter.ts`, and one line in this list.
 */
export const PROTOCOL_ADAPTERS: ProtocolAdapter[] = [postgresAdapter, mysqlAdapter, sshAdapter, terminalAdapter, httpAdapter, kubernetesAdapter, mcpAdapter];
