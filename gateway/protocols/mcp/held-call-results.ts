import { and, eq } from "drizzle-orm";
import type { Db } from "../../../drizzle/client";
import type { SecretBox } from "../../../core/crypto/secret-box";
import { gatewayInstances, heldCallResults } from "../../../drizzle/schema/index";
import type { ToolOutcome } from "./tool-call";
import { deleteExpiredHeldCalls } from "../../../core/mcp/held-calls";

/** How long a waiting call's row lasts at most: a review waits a day at most (a policy's timeoutSeconds). */
const WAITING_MS = 25 * 3600_000;

/** A held call as another instance sees it: where it waits, and its outcome once it has one. */
export type StoredCall = { instance: string; tool: string; connection: string; outcome?: ToolOutcome; holderGone: boolean };

/**
 * The shared record of held MCP calls (the held_call_results table): the instance holding a call
 * says so when it holds it, stores the outcome sealed once the call has run or was refused, and any
 * instance can read it for the identity that made the call. A failed write is logged and costs only
 * the hand-over: the holding instance still returns the outcome itself.
 */
export class HeldCallResults {
  constructor(
    private readonly db: Db,
    private readonly box: SecretBox,
    private readonly instance: string,
    private readonly log: (m: string) => void,
  ) {}

  async held(call: { reviewId: string; identityName: string; tool: string; connection: string }): Promise<void> {
    try {
      await this.sweep();
      await this.db
        .insert(heldCallResults)
        .values({
          reviewId: call.reviewId,
          identityName: call.identityName,
          gatewayInstance: this.instance,
          tool: call.tool,
          connectionName: call.connection,
          expiresAt: new Date(Date.now() + WAITING_MS),
        })
        .onConflictDoNothing();
    } catch (err) {
      this.log(`mcp: cannot record held call ${call.reviewId} for other instances: ${(err as Error).message}`);
    }
  }

  async settled(reviewId: string, outcome: ToolOutcome, keepMs: number): Promise<void> {
    try {
      await this.db
        .update(heldCallResults)
        .set({ outcome: this.box.seal(JSON.stringify(outcome)), expiresAt: new Date(Date.now() + keepMs) })
        .where(and(eq(heldCallResults.reviewId, reviewId), eq(heldCallResults.gatewayInstance, this.instance)));
      await this.sweep();
    } catch (err) {
      this.log(`mcp: cannot store the outcome of held call ${reviewId} for other instances: ${(err as Error).message}`);
    }
  }

  /** Expired rows go (sealed results nobody collected, waits whose instance stopped); the hourly retention sweep deletes them too. */
  private async sweep(): Promise<void> {
    await deleteExpiredHeldCalls(this.db);
  }

  /** The call `reviewId` of `identityName` as recorded (another identity's reads as none); `holderGone`: the instance that held it stopped before its outcome was stored. */
  async find(reviewId: string, identityName: string): Promise<StoredCall | undefined> {
    const [row] = await this.db
      .select({ r: heldCallResults, startedAt: gatewayInstances.startedAt })
      .from(heldCallResults)
      .leftJoin(gatewayInstances, eq(gatewayInstances.instance, heldCallResults.gatewayInstance))
      .where(and(eq(heldCallResults.reviewId, reviewId), eq(heldCallResults.identityName, identityName)));
    if (!row || row.r.expiresAt < new Date()) return undefined;
    const { r } = row;
    const outcome = r.outcome === null ? undefined : (JSON.parse(this.box.open(r.outcome)) as ToolOutcome);
    // A holder that is gone, or was started again since, lost the waiting call with its memory.
    const holderGone = !outcome && (row.startedAt === null || row.startedAt > r.createdAt);
    return { instance: r.gatewayInstance, tool: r.tool, connection: r.connectionName, outcome, holderGone };
  }
}
