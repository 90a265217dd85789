import type { Bus } from "../bus/event-bus";
import type { Db } from "../../drizzle/client";
import { loadMaskingRules } from "./manage-masking";
import { compileForGroups, type SessionMasking } from "./compile-rules";
import type { MaskingRules } from "./masking-rules";
import { maskingKeyFor } from "./token-key";

/**
 * The masking rules of the connections this gateway serves, read at session start and refreshed
 * when the bus says they changed ('masking.changed'), so masking a row never waits on the database.
 * Compiled once per distinct group set, so a live session sees new rules at its next message.
 */
export class MaskingStore {
  private readonly byConnection = new Map<string, { rules: MaskingRules | null; compiled: Map<string, SessionMasking | null> }>();

  constructor(
    private readonly db: Db,
    private readonly secretKey: Buffer,
  ) {}

  /** Loads a connection's rules if not cached yet. Throws if they cannot be read: fail closed. */
  async ensure(connectionId: string): Promise<void> {
    if (!this.byConnection.has(connectionId)) await this.reloadNow(connectionId);
  }

  /** Reloads a connection's rules when they change anywhere (`masking.changed`). */
  subscribe(bus: Bus, log: (m: string) => void): void {
    bus.on("masking.changed", ({ connectionId }) => {
      this.reload(connectionId).catch((err) => log(`could not reload the masking rules of ${connectionId}: ${(err as Error).message}`));
    });
  }

  async reload(connectionId: string): Promise<void> {
    if (this.byConnection.has(connectionId)) await this.reloadNow(connectionId);
  }

  /** What a member of `groups` gets masked on the connection now; null: nothing (no rules, or exempt). */
  current(connectionId: string, groups: string[]): SessionMasking | null {
    const entry = this.byConnection.get(connectionId);
    if (!entry?.rules) return null;
    const key = [...groups].sort().join("\n");
    let c = entry.compiled.get(key);
    if (c === undefined) entry.compiled.set(key, (c = compileForGroups(entry.rules, groups)));
    return c;
  }

  /**
   * `current` for one session, cheap enough to call on every message: the compiled rules are
   * looked up again only when the connection's rules were reloaded.
   */
  forSession(connectionId: string, groups: string[]): () => SessionMasking | null {
    let seen: unknown;
    let compiled: SessionMasking | null = null;
    return () => {
      const entry = this.byConnection.get(connectionId);
      if (entry !== seen) {
        seen = entry;
        compiled = this.current(connectionId, groups);
      }
      return compiled;
    };
  }

  /** The connection's token key: HKDF of the gateway's secret key (same on every instance), derived once per connection (an HKDF per session cost about 0.2 ms of each short session). */
  keyFor(connectionId: string): Buffer {
    let key = this.tokenKeys.get(connectionId);
    if (!key) this.tokenKeys.set(connectionId, (key = maskingKeyFor(this.secretKey, connectionId)));
    return key;
  }
  private readonly tokenKeys = new Map<string, Buffer>();

  /**
   * A reload that reads the same rules keeps the compiled ones: a live session then sees no change
   * (a MySQL cursor opened under them stays fetchable; a 'masking.changed' that arrives after the
   * session started, for the change it already read, must not look like a new rule set).
   */
  private async reloadNow(connectionId: string): Promise<void> {
    const rules = await loadMaskingRules(this.db, connectionId);
    const before = this.byConnection.get(connectionId);
    if (before && JSON.stringify(before.rules) === JSON.stringify(rules)) return;
    this.byConnection.set(connectionId, { rules, compiled: new Map() });
  }
}
