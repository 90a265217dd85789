/** Where the console told the browser to find the gateway's terminal WebSocket. */
export type TerminalTarget = { port: number } | { url: string };

/** The WebSocket address: the gateway's port on the host this page came from, or the configured URL; the ticket in the query. */
export function terminalSocketUrl(target: TerminalTarget, ticket: string, page: { protocol: string; hostname: string }): URL {
  const url = "url" in target ? new URL(target.url) : new URL(`${page.protocol === "https:" ? "wss" : "ws"}://${page.hostname}:${target.port}/terminal`);
  url.searchParams.set("ticket", ticket);
  return url;
}

/** The gateway's text frames; anything else is ignored. */
export type TerminalControl = { type: "error"; message: string } | { type: "exit"; code?: number | null; message?: string };

export function parseControl(text: string): TerminalControl | null {
  try {
    const m = JSON.parse(text) as { type?: unknown; message?: unknown; code?: unknown };
    if (m.type === "error") return { type: "error", message: typeof m.message === "string" ? m.message : "the gateway refused the terminal" };
    if (m.type === "exit") return { type: "exit", code: typeof m.code === "number" ? m.code : null, message: typeof m.message === "string" ? m.message : undefined };
  } catch {
    // not a control message
  }
  return null;
}

export const describeExit = (m: Extract<TerminalControl, { type: "exit" }>): string => (m.message ? `Ended: ${m.message}` : `Exited (code ${m.code ?? "unknown"})`);
