import type { TestGateway } from "../support/gateway-harness";
import type { Seed, SeededIdentity } from "../support/seed";

/**
 * What every protocol owes its clients, whatever the wire: the pipeline contract (see
 * pipeline-contract.ts). A protocol joins by writing one ContractAdapter; MySQL, HTTP, Kubernetes
 * and MCP adapters plug in the same way as Postgres, SSH and the browser terminal.
 */
export const CONTRACT_CASES = [
  "bad-credential", // a credential the gateway never issued is refused natively and audited as session.denied
  "no-connection", // an ungranted and an unknown connection get the same refusal
  "deny-rule", // a deny rule refuses the command, naming the rule; audited as denied
  "hold-approve", // a review rule holds the command; approved, it runs and its result reaches the client
  "hold-reject", // rejected, the client gets the approver's reason
  "hold-timeout", // undecided within the rule's timeoutSeconds, the client is told nobody approved it
  "admin-kill", // a sessions.kill bus event (the console's Kill) ends the live session with its reason
  "key-revocation", // `keys revoke` ends the identity's live sessions
  "access-expiry", // the end of approved time-bound access ends the sessions that relied on it
  "audit-per-command", // exactly one audit event per command, carrying the identity
  "masking", // the connection's masking reaches the values the client sees
] as const;
export type ContractCase = (typeof CONTRACT_CASES)[number];

/**
 * What the client shows for one attempt: its output, or a refusal with the protocol's own code
 * (an SQLSTATE, an exit status, a WebSocket close code) and the text the person reads.
 */
export type ClientOutcome = { ok: true; output: string } | { ok: false; code: string; message: string };
export type Refused = Extract<ClientOutcome, { ok: false }>;

/** One admitted session, driven by the protocol's real client. */
export type ContractSession = {
  /** Runs one command (a SQL statement, a shell command) and returns what the client shows. */
  run: (command: string) => Promise<ClientOutcome>;
  /**
   * Puts the session in the state a live client is in when something outside ends it (idle for
   * Postgres, a running command for SSH, a terminal at its prompt) and resolves once it is; `ended`
   * then resolves with how the session ended, as the client saw it.
   */
  holdOpen: () => Promise<{ ended: Promise<Refused> }>;
  /** Everything the client has shown so far (for failure messages). */
  transcript: () => string;
  close: () => Promise<void>;
};

/** The adapter's handle on its target and client, for one test file (one gateway, one target). */
export type ContractDriver = {
  /** Adds a connection of this adapter's type named `name`, to the adapter's private target. */
  addConnection: (name: string) => Promise<void>;
  /** The credential `who` presents to reach `connection`: a Gatehouse key, or the terminal's one-time ticket. */
  credential: (who: SeededIdentity, connection: string) => Promise<string>;
  /** A credential of the right shape that the gateway never issued. */
  forgedCredential: () => string;
  /** Opens a session as a client does; a refusal at sign-in comes back as Refused. */
  open: (credential: string, connection: string) => Promise<{ ok: true; session: ContractSession } | Refused>;
  stop: () => Promise<void>;
};

export type ContractAdapter = {
  /** In test titles: `[CONTRACT][<name>]`. */
  name: string;
  /** `sessions.protocol` of the session its client opens: what the console lists, kills and audits refusals under. */
  sessionProtocol: string;
  /** `protocol` of the session.denied event a refused sign-in leaves, when it is not sessionProtocol (MCP refuses at its HTTP endpoint; its sessions are the inner Postgres ones). */
  deniedProtocol?: string;
  /** The protocol-native codes its client sees (ClientOutcome.code). */
  codes: {
    /** Sign-in with a credential the gateway never issued. */
    badCredential: string;
    /** A connection that does not exist or is not granted. */
    noConnection: string;
    /** A command refused by a rule or a review (deny, rejected, timed out). */
    refused: string;
    /** A live session ended by the gateway (kill, revocation, expiry). */
    ended: string;
  };
  /**
   * Every case, explicitly: `true` registers it; `{ notApplicable }` registers nothing and says why
   * the protocol has no honest equivalent (a skipped test would read as a pass). A new case in
   * CONTRACT_CASES fails type-checking until every adapter has answered it.
   */
  cases: Record<ContractCase, true | { notApplicable: string }>;
  /** A command whose result, as the client shows it, is `text` (SQL: a select of a literal; shell: echo). */
  echo: (text: string) => string;
  /** Starts what the adapter needs beside the shared gateway (its target server) and returns its driver. */
  start: (gw: TestGateway, seed: Seed) => Promise<ContractDriver>;
};
