import type { KillAnswer } from "./thread-registry";
import type { HeldCommand } from "../../pipeline/hold";
import type { SessionMasking } from "../../../core/masking/compile-rules";
import type { BufferAccount } from "../../pipeline/message-limits";
import type { AcceptedDecision } from "../../pipeline/accepted-reviews";
import type { MysqlError } from "./handshake-messages";
import type { MysqlStatementGuard, ReviewNeeded } from "./statement-guard";
import type { CommandRecord } from "./statement-audit";
import type { RsaKeys } from "./client-login";
import type { BudgetOverrun, SessionBudget } from "../../pipeline/budgets";
import type { ViewCatalog } from "./view-catalog";
import type { MaskedWriteTarget } from "./prepared-writes";

/** What the MySQL relay asks of its session (the listener): judging, holds, masking, audit, limits. */
export type RelayHooks = {
  guard: MysqlStatementGuard;
  requestReview: (need: ReviewNeeded, text: string) => HeldCommand;
  /** Set when the client asked (connection attribute gatehouse_prefer=respond-async): a held statement is answered at once and runs once when sent again after approval. */
  answerHeldAtOnce?: (need: ReviewNeeded, text: string) => Promise<AcceptedDecision>;
  masking: () => SessionMasking | null;
  maskingKey: Buffer;
  /** The connection's views, traced for column rules (read before a statement that names them is forwarded). */
  views: ViewCatalog | null;
  /**
   * The connection does not allow LOAD DATA LOCAL INFILE, so the gateway withheld the client's capability
   * from the target: the reason the client gets in place of the target's refusal of one. Null: allowed.
   */
  localInfileRefusal: string | null;
  /** The server status flags of the target's login OK (before any command has answered). */
  targetStatus: number;
  /** Whether column definitions carry MariaDB's extended metadata, from the target and to the client (see ResponseReader). */
  extendedMetadata?: { target: boolean; client: boolean };
  /**
   * A `KILL [QUERY] <id>` names the gateway's connection id (what the client saw in the greeting): the
   * target thread it maps to, or a refusal (any other text that can run a KILL; `prepared`: any KILL in a COM_STMT_PREPARE).
   */
  mapKill: (text: string, prepared: boolean) => KillAnswer | Promise<KillAnswer> | null;
  /** COM_CHANGE_USER: the client's exchange (TLS or not, the RSA key) and who may be changed to (null: allowed; the same identity on the same connection only). */
  changeUser: { tls: boolean; rsa: RsaKeys; check: (user: string, password: string) => Promise<MysqlError | null> };
  /** A write of a masked value, or a copy of a masked column out of masking's sight: refused (a promise when views it reads are looked up first). */
  maskedWrite: (text: string) => MaskedWriteRefusal | null | Promise<MaskedWriteRefusal | null>;
  /** The table a column rule covers that a prepared statement writes into (its bound values are then checked at each execute); null: none. */
  maskedWriteTable: (text: string) => MaskedWriteTarget | null;
  /** Audits a finished (or refused) SQL command. */
  audit: (r: CommandRecord) => void;
  /** Journals what was audited so far: called before the client can see the result it is about. */
  syncAudit: () => void;
  /** The session's data budgets (null: none binds it), a hold for an approver to extend one, and the `budget.exceeded` event. */
  budget: SessionBudget | null;
  budgetHold: (overrun: BudgetOverrun, statement: string) => HeldCommand;
  auditOverrun: (overrun: BudgetOverrun, statement: string) => void;
  maxPacketBytes: number;
  /**
   * The client speaks the compressed protocol (compressed-stream.ts): its packets' own sequence ids are not
   * read (servers ignore them there, and MariaDB Connector/J sends commands numbered 1), and the relay says
   * where each command it answers ends in the client's plain stream (`answering`), for the frames' numbering.
   */
  compressed: { answering: (end: number) => void } | null;
  /** The collation the client's handshake asked for (its character set is what the server reads SQL texts in). */
  clientCollation: number;
  /** This session's share of GATEHOUSE_BUFFER_BUDGET_BYTES, and GATEHOUSE_MESSAGE_TIMEOUT_MS (0: off). */
  buffers: BufferAccount;
  messageTimeoutMs: number;
  log: (m: string) => void;
};

export type MaskedWriteRefusal = { refusal: MysqlError; kind: string };
