import type http from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import { sql } from "drizzle-orm";
import type { Db } from "../../drizzle/client";
import type { Bus } from "../../core/bus/event-bus";
import { ConnectorError, verifyConnectorToken, type VerifiedConnector } from "../../core/connectors/manage-connectors";
import type { AuditWriter } from "../../core/audit/audit-writer";
import type { HttpRouter } from "../http/router";
import type { Log } from "../log-sink";
import type { AuthThrottle } from "../pipeline/auth-throttle";
import { randomUUID } from "node:crypto";
import { Mux, MUX_VERSION } from "./mux";
import { DialError, dialDirect, type Dial, type DialTarget } from "./dial";

const HEARTBEAT_MS = 15_000;
const HELLO_TIMEOUT_MS = 5_000;
const MAX_FRAME = 1024 * 1024;

type Link = { id: string; mux: Mux; connector: VerifiedConnector; hostname: string; version: string; alive: boolean; expiry?: NodeJS.Timeout };
type Hello = { version?: unknown; hostname?: unknown; mux?: unknown; have?: unknown };

/**
 * The gateway's end of connectors (`/connector` on the HTTP port): authenticates each connector
 * process by its token, keeps its link (heartbeats, state in connector_links for the console), and
 * opens streams to targets over it for connections routed through that connector. Several links
 * of one connector share the streams (the least busy takes the next) and take over from each other:
 * a link that drops fails only the streams it carried.
 */
export class ConnectorHub {
  private readonly links = new Map<string, Set<Link>>();
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME });
  private heartbeat?: NodeJS.Timeout;

  /** `workers`: how many gateway instances share this one's ports (GATEHOUSE_WORKERS); a connector keeps a link to each. */
  constructor(private readonly opts: { db: Db; instance: string; workers: number; audit: AuditWriter; log: Log; throttle: AuthThrottle }) {}

  mount(router: HttpRouter, bus: Bus): void {
    router.mount("/connector", "connectors' links (WebSocket; a connector token)", { upgrade: (req, socket, head) => void this.onUpgrade(req, socket, head) });
    bus.on("connectors.revoked", ({ connectorId, tokenIds }) => {
      for (const link of this.links.get(connectorId) ?? []) {
        if (!tokenIds || tokenIds.includes(link.connector.tokenId)) link.mux.close("the connector's token was revoked");
      }
    });
    this.heartbeat = setInterval(() => void this.beat(), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  /** How the gateway reaches a connection's target: through its connector's streams, or itself. */
  dialerFor(connection: { name: string; connector?: string }): Dial {
    const via = connection.connector;
    if (!via) return dialDirect;
    return (to) => this.openStream(via, connection.name, to);
  }

  /**
   * Marks the links an earlier run of this instance left recorded as live (it died without closing
   * them) as ended, before this run takes any: the console then shows only the links that exist.
   */
  async closeLeftoverLinks(): Promise<void> {
    await this.opts.db
      .execute(sql`update connector_links set disconnected_at = now(), streams_open = 0 where instance = ${this.opts.instance} and disconnected_at is null`)
      .catch((err: Error) => this.opts.log(`connector: cannot close the links an earlier run left recorded: ${err.message}`));
  }

  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    for (const set of this.links.values()) for (const l of set) l.mux.close("the gateway is shutting down");
    this.wss.close();
  }

  private async openStream(via: string, connection: string, to: DialTarget): Promise<Duplex> {
    const candidates = [...this.links.values()].flatMap((set) => [...set]).filter((l) => l.connector.name === via && !l.mux.isClosed);
    if (!candidates.length) throw new DialError(await this.notHere(via));
    // The least busy link first; if its connector cannot reach the target, that is the answer (they share a network).
    candidates.sort((a, b) => a.mux.openStreams - b.mux.openStreams);
    const host = "path" in to ? to.path : to.host;
    const port = "path" in to ? 0 : to.port;
    try {
      return await candidates[0].mux.open({ host, port, connection, login: to.login });
    } catch (err) {
      throw new DialError(`through connector ${via} (${candidates[0].hostname}): ${(err as Error).message}`);
    }
  }

  /** Why no link of the connector is here, in words an operator can act on. */
  private async notHere(via: string): Promise<string> {
    const { rows } = await this.opts.db
      .execute<{ instance: string }>(
        sql`select l.instance from connector_links l join connectors c on c.id = l.connector_id
          where c.name = ${via} and l.disconnected_at is null and l.last_seen_at > now() - interval '45 seconds' limit 3`,
      )
      .catch(() => ({ rows: [] as { instance: string }[] }));
    const elsewhere = rows.map((r) => r.instance).filter((i) => i !== this.opts.instance);
    return elsewhere.length
      ? `connector ${via} is not connected to this gateway instance (${this.opts.instance}) but to ${elsewhere.join(", ")}: start the connector with a --gateway for every instance`
      : `connector ${via} is not connected: start it beside the target (npx gatehouse connector --gateway <this gateway>/connector with its token)`;
  }

  private async onUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const addr = req.socket.remoteAddress ?? null;
    const token = /^Bearer (\S+)$/i.exec(req.headers.authorization ?? "")?.[1];
    const refuse = (status: string, why: string): void =>
      void socket.end(`HTTP/1.1 ${status}\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(why)}\r\nconnection: close\r\n\r\n${why}`);
    // Failed tokens count with every other failed sign-in from the address (auth_failures, shared by every instance).
    const claim = { addr, keyPrefix: token?.startsWith("ghc_") ? token.slice(0, 12) : null };
    const refusedFor = await this.opts.throttle.refusedFor(claim).catch(() => null);
    if (refusedFor !== null) return refuse("429 Too Many Requests", `too many failed sign-ins from ${addr}; try again in ${refusedFor} s`);
    let connector: VerifiedConnector;
    try {
      if (!token) throw new ConnectorError("no connector token (Authorization: Bearer ghc_...)");
      connector = await verifyConnectorToken(this.opts.db, token);
    } catch (err) {
      const why = err instanceof ConnectorError ? err.message : "the token could not be checked";
      if (!(err instanceof ConnectorError)) this.opts.log(`connector: token check failed: ${(err as Error).message}`);
      const count = await this.opts.throttle.failed(claim).catch(() => null);
      if (!count?.quiet) this.opts.audit.write({ at: new Date(), action: "connector.refused", outcome: "denied", protocol: "connector", clientAddr: addr, message: why });
      if (count?.delayMs) await new Promise((r) => setTimeout(r, count.delayMs));
      return refuse("401 Unauthorized", why);
    }
    if (socket.destroyed) return;
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onLink(ws, connector, addr));
  }

  private onLink(ws: WebSocket, connector: VerifiedConnector, remoteAddr: string | null): void {
    const mux = new Mux(ws, "gateway");
    let link: Link | undefined;
    const helloTimer = setTimeout(() => mux.close("no hello from the connector"), HELLO_TIMEOUT_MS);
    mux.once("hello", (h: Hello) => {
      clearTimeout(helloTimer);
      if (h.mux !== MUX_VERSION) return mux.close(`this gateway speaks connector framing ${MUX_VERSION}; upgrade the connector`);
      // The connector process already has a link to this instance (workers share the address): declined before any stream could use it.
      if (Array.isArray(h.have) && h.have.includes(this.opts.instance)) {
        mux.hello("welcome", { connector: connector.name, instance: this.opts.instance, workers: this.opts.workers, duplicate: true });
        return mux.close(`this connector already has a link to gateway instance ${this.opts.instance}`);
      }
      // The gateway names the link (a connector's own id could collide with, or claim, another's row).
      link = { id: randomUUID(), mux, connector, hostname: String(h.hostname ?? "?").slice(0, 255), version: String(h.version ?? "?").slice(0, 64), alive: true };
      void this.register(link, remoteAddr);
    });
    ws.on("pong", () => {
      if (link) link.alive = true;
    });
  }

  private async register(link: Link, remoteAddr: string | null): Promise<void> {
    const { db, instance, audit, log } = this.opts;
    try {
      await db.execute(sql`insert into connector_links (id, instance, connector_id, token_id, version, hostname, remote_addr)
        values (${link.id}::uuid, ${instance}, ${link.connector.connectorId}::uuid, ${link.connector.tokenId}::uuid, ${link.version}, ${link.hostname}, ${remoteAddr})
        on conflict (id, instance) do update set connected_at = now(), last_seen_at = now(), disconnected_at = null, version = excluded.version`);
    } catch (err) {
      log(`connector: cannot record the link of ${link.connector.name}: ${(err as Error).message}`);
      return link.mux.close("the gateway cannot record the link; try again");
    }
    if (link.mux.isClosed) return void this.recordEnd(link, "closed before it was recorded");
    let set = this.links.get(link.connector.connectorId);
    if (!set) this.links.set(link.connector.connectorId, (set = new Set()));
    set.add(link);
    if (link.connector.expiresAt) {
      const ms = link.connector.expiresAt - Date.now();
      link.expiry = setTimeout(() => link.mux.close("the connector's token expired"), Math.max(0, Math.min(ms, 2 ** 31 - 1)));
      link.expiry.unref();
    }
    link.mux.hello("welcome", { connector: link.connector.name, instance, workers: this.opts.workers, heartbeatMs: HEARTBEAT_MS });
    audit.write({
      at: new Date(),
      action: "connector.connected",
      outcome: "ok",
      protocol: "connector",
      clientAddr: remoteAddr,
      message: `${link.connector.name} from ${link.hostname} (version ${link.version})`,
    });
    log(`connector ${link.connector.name} linked from ${link.hostname} (${remoteAddr ?? "?"})`);
    link.mux.once("close", (reason: string) => {
      clearTimeout(link.expiry);
      set.delete(link);
      if (!set.size) this.links.delete(link.connector.connectorId);
      audit.write({
        at: new Date(),
        action: "connector.disconnected",
        outcome: "ok",
        protocol: "connector",
        clientAddr: remoteAddr,
        message: `${link.connector.name} from ${link.hostname}: ${reason}`,
      });
      log(`connector ${link.connector.name} from ${link.hostname} unlinked: ${reason}`);
      void this.recordEnd(link, reason);
    });
  }

  private async recordEnd(link: Link, _reason: string): Promise<void> {
    await this.opts.db
      .execute(sql`update connector_links set disconnected_at = now(), streams_open = 0, streams_total = ${link.mux.opened} where id = ${link.id}::uuid and instance = ${this.opts.instance}`)
      .catch(() => {});
  }

  /** Pings every link (one missed pong: it is dead) and refreshes what the console shows of it. */
  private async beat(): Promise<void> {
    for (const set of this.links.values())
      for (const link of set) {
        if (!link.alive) {
          link.mux.close("the connector stopped answering heartbeats");
          continue;
        }
        link.alive = false;
        link.mux.ping();
        await this.opts.db
          .execute(
            sql`update connector_links set last_seen_at = now(), streams_open = ${link.mux.openStreams}, streams_total = ${link.mux.opened} where id = ${link.id}::uuid and instance = ${this.opts.instance}`,
          )
          .catch(() => {});
      }
  }
}
