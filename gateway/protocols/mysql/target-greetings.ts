import { eq } from "drizzle-orm";
import type { Db } from "../../../drizzle/client";
import { connections, connectors } from "../../../drizzle/schema/index";
import { connectionTypeOf } from "../../../core/connections/registry";
import type { Greeting } from "./handshake-messages";
import { RELAYABLE_MARIADB_CAPS } from "./protocol-constants";
import { probeGreeting } from "./target-login";
import type { ConnectorHub } from "../../connector/connector-hub";

export type TargetFacts = Omit<Greeting, "scramble" | "authPlugin">;

/**
 * What the gateway greets clients with: a MySQL server speaks first, before the client names the
 * connection it wants, so the greeting carries the facts (version, capabilities, character set) of
 * the target last logged in to, learnt from each target login and, on a fresh gateway, by reading
 * the greetings of the MySQL connections' targets (no login needed). With one target, or targets
 * of one version, clients see exactly their server's version.
 */
export class TargetGreetings {
  private latest: TargetFacts | null = null;
  private probing: Promise<void> | null = null;

  constructor(
    private readonly db: Db,
    private readonly connectors: ConnectorHub,
  ) {}

  learn(g: Greeting): void {
    this.latest = {
      serverVersion: g.serverVersion,
      connectionId: 0,
      capabilities: g.capabilities,
      charset: g.charset,
      status: g.status,
      mariadbCapabilities: g.mariadbCapabilities & RELAYABLE_MARIADB_CAPS,
    };
  }

  /** The facts to greet a client with; null when no target could be read (the client is refused then). */
  async current(): Promise<TargetFacts | null> {
    if (!this.latest) await (this.probing ??= this.probe().finally(() => (this.probing = null)));
    return this.latest;
  }

  private async probe(): Promise<void> {
    const rows = await this.db
      .select({ name: connections.name, type: connections.type, settings: connections.settings, connectorId: connections.connectorId })
      .from(connections)
      .where(eq(connections.type, "mysql"));
    for (const row of rows) {
      try {
        const s = connectionTypeOf("mysql").parseSettings(row);
        // A target behind a connector is read through it, when its connector is linked here.
        const dial = row.connectorId ? this.connectors.dialerFor({ name: row.name, connector: await this.connectorName(row.connectorId) }) : this.connectors.dialerFor(row);
        this.learn(await probeGreeting(dial, s.host, s.port));
        return;
      } catch {
        // The next connection's target, then.
      }
    }
  }

  private async connectorName(id: string): Promise<string> {
    const [c] = await this.db.select({ name: connectors.name }).from(connectors).where(eq(connectors.id, id));
    return c?.name ?? id;
  }
}
