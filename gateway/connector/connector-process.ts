import { hostname } from "node:os";
import type WebSocket from "ws";
import { Mux, MUX_VERSION, type MuxStream, type OpenRequest } from "./mux";
import { dialDirect, DialError } from "./dial";
import { targetAllowed } from "./allow-list";
import { openPgTarget, relayWithLogin, type ConnectorCredentials } from "./pg-login";

export type ConnectorOptions = {
  /** wss://gateway:18888/connector, one per gateway instance to keep a link to. */
  gateways: string[];
  token: string;
  /** PEM: the CA that signed the gateway's certificate, or that certificate itself (which pins it). */
  ca?: string;
  /** host, host:port or CIDR-free globs (`10.0.*`, `db-*.internal:5432`) the gateway may ask for; empty: any. */
  allow: string[];
  /** Credentials of connections whose targets the connector logs in to itself (Postgres), by connection name. */
  credentials: ConnectorCredentials;
  version: string;
  log: (line: string) => void;
};

const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 30_000;
/** The gateway pings every 15 s; silence for this long means the link is gone though the socket may not know. */
const SILENCE_MS = 45_000;

/**
 * The connector: beside the targets, it dials out to each gateway, keeps the link up (reconnects with
 * backoff and jitter, notices a silent gateway), and for each stream the gateway opens dials the
 * target and pipes bytes both ways with the mux's flow control. It never listens on a port.
 */
export async function runConnector(opts: ConnectorOptions): Promise<{ close: () => Promise<void>; linked: () => number }> {
  // ws is loaded here, not with the module: the CLI bundle holds this module, and every other
  // command would pay for loading ws (about 30 ms of each command's start).
  const { default: Ws } = await import("ws");
  const sets = opts.gateways.map((url) => new GatewayLinks(url, opts, Ws));
  return {
    linked: () => sets.reduce((n, s) => n + s.linked().length, 0),
    close: async () => {
      await Promise.all(sets.map((s) => s.stop()));
    },
  };
}

/** What the gateway says once it took the link (see ConnectorHub.register). */
type Welcome = { connector?: string; instance?: string; workers?: unknown; duplicate?: unknown };

/**
 * The links to one gateway address. Behind it may be several gateway instances sharing its ports
 * (GATEHOUSE_WORKERS), each reaching targets only through links it holds itself, while the address
 * hands each new connection to the next one in turn: so this keeps one link per instance the gateway
 * says it has. Each link's hello names the instances already linked; one that lands on such an
 * instance again is declined by the gateway before it is used, and tries again after a backoff.
 */
class GatewayLinks {
  private readonly links: GatewayLink[] = [];
  private workers = 1;
  private stopped = false;

  constructor(
    private readonly url: string,
    private readonly opts: ConnectorOptions,
    private readonly Ws: typeof WebSocket,
  ) {
    this.add();
  }

  /** The gateway instances this address's links reach now. */
  linked(except?: GatewayLink): string[] {
    return this.links.flatMap((l) => (l !== except && l.instance !== null ? [l.instance] : []));
  }

  welcomed(link: GatewayLink, w: Welcome): void {
    const workers = Number(w.workers);
    this.workers = Number.isInteger(workers) && workers >= 1 && workers <= 64 ? workers : 1;
    if (w.duplicate) return;
    const have = this.linked();
    const of = this.workers > 1 ? `; ${have.length} of its ${this.workers} workers linked` : "";
    this.opts.log(`linked to ${this.url} as connector ${w.connector ?? "?"} (gateway instance ${w.instance ?? "?"}${of})`);
    // The next link goes out once this one is in: in turn, it lands on the next worker.
    if (have.length < this.workers && this.links.length < this.workers) this.add();
  }

  /** Said once a link has kept landing on instances already linked: which are missing. */
  stuck(attempts: number): void {
    const have = this.linked();
    this.opts.log(`gateway ${this.url} has ${this.workers} workers; after ${attempts} tries the links reach ${have.length} (${have.join(", ") || "none"}); still trying`);
  }

  private add(): void {
    if (this.stopped) return;
    const link = new GatewayLink(this.url, this.opts, this.Ws, this);
    this.links.push(link);
    link.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.links.map((l) => l.stop()));
  }
}

class GatewayLink {
  private stopped = false;
  private mux: Mux | null = null;
  private ws: WebSocket | null = null;
  private attempt = 0;
  private silence?: NodeJS.Timeout;
  private retry?: NodeJS.Timeout;
  /** The gateway instance this link reaches; null while it is not linked. */
  instance: string | null = null;

  constructor(
    private readonly url: string,
    private readonly opts: ConnectorOptions,
    private readonly Ws: typeof WebSocket,
    private readonly set: GatewayLinks,
  ) {}

  start(): void {
    if (this.stopped) return;
    const ws = new this.Ws(this.url, {
      headers: { authorization: `Bearer ${this.opts.token}` },
      ca: this.opts.ca,
      maxPayload: 1024 * 1024,
      handshakeTimeout: 10_000,
      perMessageDeflate: false,
    });
    this.ws = ws;
    const mux = new Mux(ws, "connector");
    this.mux = mux;
    ws.on("unexpected-response", (_req, res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString("utf8").slice(0, 500)));
      res.on("end", () => {
        this.opts.log(`gateway ${this.url} refused the link: ${res.statusCode} ${body.trim()}`);
        ws.terminate();
      });
    });
    ws.on("open", () => {
      this.heard();
      // `have`: the instances this address's other links reach (a gateway that is one of them declines this link).
      mux.hello("hello", { version: this.opts.version, hostname: hostname(), mux: MUX_VERSION, have: this.set.linked(this) });
    });
    ws.on("ping", () => this.heard());
    mux.on("welcome", (w: Welcome) => {
      if (!w.duplicate) {
        this.attempt = 0;
        this.instance = typeof w.instance === "string" ? w.instance : "?";
      } else if (this.attempt === 8) this.set.stuck(this.attempt);
      this.set.welcomed(this, w);
    });
    mux.on("open", (stream: MuxStream, req: OpenRequest) => void this.onOpen(mux, stream, req));
    mux.once("close", (reason: string) => {
      clearTimeout(this.silence);
      if (this.instance !== null) this.opts.log(`link to ${this.url} (gateway instance ${this.instance}) lost: ${reason}`);
      this.instance = null;
      this.scheduleReconnect();
    });
  }

  private heard(): void {
    clearTimeout(this.silence);
    this.silence = setTimeout(() => this.mux?.close("the gateway went silent"), SILENCE_MS);
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** this.attempt++);
    const delay = base / 2 + Math.random() * (base / 2);
    this.retry = setTimeout(() => this.start(), delay);
  }

  private async onOpen(mux: Mux, stream: MuxStream, req: OpenRequest): Promise<void> {
    const path = req.port === 0 && typeof req.host === "string" && req.host.startsWith("/");
    const what = path ? req.host : `${req.host}:${req.port}`;
    if (typeof req.host !== "string" || !Number.isInteger(req.port) || req.port < 0 || req.port > 65535 || !targetAllowed(this.opts.allow, req.host, req.port)) {
      this.opts.log(`refused a stream to ${String(what)} for ${String(req.connection)}: not in --allow`);
      return mux.refuse(stream, `the connector does not allow ${what} (its --allow list)`);
    }
    const login = req.login?.protocol === "postgres" ? req.login : undefined;
    const held = login ? this.opts.credentials[req.connection] : undefined;
    // A credential answers only its own target: a gateway that names another host for the connection
    // (misconfigured, or taken over) gets a refusal, not the password (MD5 or cleartext would hand it over).
    if (held && held.target !== what) {
      this.opts.log(`refused a stream to ${what} for ${req.connection}: its credentials are for ${held.target}`);
      return mux.refuse(stream, `the connector's credentials for ${req.connection} are for ${held.target}, not ${what}`);
    }
    try {
      const target = login ? await openPgTarget(req.host, req.port, req.connection, login) : await dialDirect(path ? { path: req.host } : { host: req.host, port: req.port });
      if (stream.destroyed) return void target.destroy();
      mux.accept(stream);
      if (login) relayWithLogin(stream, target, login.user, held?.password);
      else {
        target.pipe(stream);
        stream.pipe(target);
      }
      target.on("error", (e) => stream.destroy(e));
      stream.on("error", () => target.destroy());
      // Reset by the gateway (its client went away): the target goes too. A clean end has already
      // ended the target's side through the pipe, and its last bytes still flush.
      stream.on("close", () => stream.errored && target.destroy());
      target.on("close", () => !stream.writableEnded && stream.end());
    } catch (err) {
      const why = err instanceof DialError ? err.message : err instanceof Error ? err.message : String(err);
      mux.refuse(stream, `the connector cannot reach ${what}: ${why}`);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    clearTimeout(this.silence);
    this.mux?.close("the connector is stopping");
    const ws = this.ws;
    if (ws && ws.readyState !== ws.CLOSED) await new Promise<void>((r) => (ws.once("close", () => r()), setTimeout(r, 1000).unref()));
  }
}
