import type tls from "node:tls";
import type { GatewayDeps } from "../gateway-deps";
import type { Bus } from "../../core/bus/event-bus";
import type { HttpRouter } from "../http/router";

/** What the gateway hands each protocol adapter when it starts. */
export type AdapterContext = {
  deps: GatewayDeps;
  /** Subscribe to live events (policy or rule changes are handled by the pipeline already). */
  bus: Bus;
  /** The shared HTTP port: adapters served over HTTP mount their routes here instead of listening. */
  http: HttpRouter;
  /** The gateway's TLS context (GATEHOUSE_TLS_CERT/KEY, or a generated self-signed pair). */
  tls: tls.SecureContext;
  /** Ports of the adapters started before this one (the browser terminal dials the Postgres and SSH listeners). */
  ports: Readonly<Record<string, number>>;
};

export type StartedAdapter = {
  /** The port of its own listener, if it has one (an HTTP-mounted adapter has none). */
  port?: number;
  /** Lines for the start-up log. */
  describe: string;
  /** Facts tests and the banner read (the SSH host key's fingerprint). */
  info?: Record<string, string>;
  /** Whether its own listener accepts connections now (readiness, `/readyz`); an HTTP-mounted adapter has none. */
  listening?: () => boolean;
  /** Stops accepting clients (live sessions are ended by the pipeline's shutdown). */
  close: () => Promise<void>;
};

/**
 * A protocol adapter: wire code only. It turns its clients' traffic into the pipeline's steps
 * (admit -> openSession -> judge each command -> holdForReview -> mask -> audit, end) and renders
 * their outcomes natively; it never decides access, policy or review itself.
 */
export type ProtocolAdapter = {
  /** Its name in the audit's `protocol` column and its key in `ports` ("postgres", "ssh"...). */
  name: string;
  start: (ctx: AdapterContext) => Promise<StartedAdapter>;
};
