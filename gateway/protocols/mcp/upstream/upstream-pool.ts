import { createHash } from "node:crypto";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { connectUpstream, type UpstreamClient } from "../../../../core/connections/types/mcp-upstream";
import type { McpSettings } from "../../../../core/connections/types/mcp";

type Entry = { fingerprint: string; up: Promise<UpstreamClient> };

/**
 * One SDK client per upstream MCP connection in this gateway instance, shared by every agent's
 * calls (the upstream sees the gateway's credential, never an agent's): a stdio program runs once
 * here, a Streamable HTTP server keeps one MCP session. Reconnected when the connection's settings
 * or secret change, or when the upstream closes (the program exits, the session is lost).
 */
export class UpstreamPool {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly log: (line: string, level?: "warn" | "error") => void) {}

  async client(connectionId: string, settings: McpSettings, credential: string | undefined): Promise<Client> {
    const fingerprint = createHash("sha256")
      .update(JSON.stringify(settings))
      .update("\0")
      .update(credential ?? "")
      .digest("hex");
    let entry = this.entries.get(connectionId);
    if (entry && entry.fingerprint !== fingerprint) {
      this.drop(connectionId, entry);
      entry = undefined;
    }
    if (!entry) {
      const fresh: Entry = {
        fingerprint,
        up: connectUpstream(settings, credential, () => {
          // The program exited or the session closed: the next call connects again.
          if (this.entries.get(connectionId) === fresh) this.entries.delete(connectionId);
        }),
      };
      entry = fresh;
      this.entries.set(connectionId, fresh);
      fresh.up.catch(() => this.entries.get(connectionId) === fresh && this.entries.delete(connectionId));
    }
    return (await entry.up).client;
  }

  /** Forgets a client that failed (the next call connects again). */
  reset(connectionId: string): void {
    const entry = this.entries.get(connectionId);
    if (entry) this.drop(connectionId, entry);
  }

  private drop(connectionId: string, entry: Entry): void {
    this.entries.delete(connectionId);
    void entry.up.then(
      (u) => u.close().catch((err: Error) => this.log(`mcp: closing an upstream: ${err.message}`, "warn")),
      () => {},
    );
  }

  async close(): Promise<void> {
    const all = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(all.map((e) => e.up.then((u) => u.close()).catch(() => {})));
  }
}
