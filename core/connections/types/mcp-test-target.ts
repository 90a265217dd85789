import type { TestResult } from "../connection-type";
import { describeConnectError } from "../connect-error";
import type { McpSettings } from "./mcp";
import { connectUpstream, listUpstreamTools } from "./mcp-upstream";

/** Test connection: connects as the gateway does (initialize), lists the tools, and says what the server is. */
export async function testMcpTarget(s: McpSettings, credential: string | undefined): Promise<TestResult> {
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  let up: Awaited<ReturnType<typeof connectUpstream>> | undefined;
  try {
    up = await connectUpstream({ ...s, timeoutMs: Math.min(s.timeoutMs, 10_000) }, credential);
    const tools = await listUpstreamTools(up.client, Math.min(s.timeoutMs, 10_000));
    const v = up.client.getServerVersion();
    return { ok: true, serverVersion: `${v?.name ?? "MCP server"} ${v?.version ?? ""}`.trim() + `, ${tools.length} tool(s)`, ms: ms() };
  } catch (err) {
    const tail = up?.stderrTail().trim();
    return { ok: false, error: describeConnectError(err, credential ? [credential] : []) + (tail ? ` (stderr: ${tail.slice(-300)})` : ""), ms: ms() };
  } finally {
    await up?.close().catch(() => {});
  }
}
