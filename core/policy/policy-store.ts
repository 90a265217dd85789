import type { Bus } from "../bus/event-bus";
import type { Db } from "../../drizzle/client";
import { loadPolicy } from "./manage-policies";
import type { Policy } from "./policy";

/**
 * The policies of the connections this gateway serves, read once and refreshed when the bus says a
 * policy changed, so that evaluating a statement never waits on the database.
 */
export class PolicyStore {
  private readonly byConnection = new Map<string, Policy | null>();

  constructor(private readonly db: Db) {}

  /** Loads a connection's policy if not cached yet (at session start). Throws if it cannot be read: fail closed. */
  async ensure(connectionId: string): Promise<void> {
    if (!this.byConnection.has(connectionId)) this.byConnection.set(connectionId, await loadPolicy(this.db, connectionId));
  }

  current(connectionId: string): Policy | null {
    return this.byConnection.get(connectionId) ?? null;
  }

  /** Reloads a connection's policy when it changes anywhere (`policies.changed`). */
  subscribe(bus: Bus, log: (m: string) => void): void {
    bus.on("policies.changed", ({ connectionId }) => {
      this.reload(connectionId).catch((err) => log(`could not reload the policy of ${connectionId}: ${(err as Error).message}`));
    });
  }

  async reload(connectionId: string): Promise<void> {
    if (this.byConnection.has(connectionId)) this.byConnection.set(connectionId, await loadPolicy(this.db, connectionId));
  }
}
