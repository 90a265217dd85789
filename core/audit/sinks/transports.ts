import net from "node:net";
import tls from "node:tls";
import dgram from "node:dgram";
import type { SiemEvent } from "./siem-event";
import { elasticBulkBody, hecBody, jsonLines, octetCounted, otlpBody, syslogMessage } from "./formats";

/** A destination: send() resolves only once the events are known to be received (else it throws and they are sent again). */
export type Sink = { name: string; describe: string; send: (events: SiemEvent[]) => Promise<void> };

const TIMEOUT_MS = 15_000;

/**
 * syslog over TCP (optionally TLS), RFC 5424 messages framed by octet counting (RFC 6587). Plain
 * syslog has no acknowledgement, so each batch goes over its own connection, which this side then
 * closes: the receiver closes its side only after it has read everything up to that end, so a clean
 * close confirms the batch; a receiver that stops mid-batch gives an error and the batch is resent.
 */
export function syslogStreamSink(opts: { host: string; port: number; tls: boolean; ca?: string; servername?: string }): Sink {
  return {
    name: "syslog",
    describe: `syslog ${opts.tls ? "TLS" : "TCP"} ${opts.host}:${opts.port}`,
    send: (events) =>
      new Promise<void>((resolve, reject) => {
        const socket = opts.tls
          ? tls.connect({ host: opts.host, port: opts.port, ca: opts.ca, servername: opts.servername ?? (net.isIP(opts.host) ? undefined : opts.host) })
          : net.connect({ host: opts.host, port: opts.port });
        let peerEnded = false;
        let failed: Error | null = null;
        const timer = setTimeout(() => socket.destroy(new Error("syslog receiver did not confirm the batch in time")), TIMEOUT_MS);
        socket.on("error", (err) => (failed = err));
        socket.on("data", () => {}); // nothing is expected back; reading lets the peer's end arrive
        socket.on("end", () => (peerEnded = true));
        socket.on("close", () => {
          clearTimeout(timer);
          if (failed) reject(failed);
          else if (!peerEnded) reject(new Error("syslog connection closed before the receiver confirmed the batch"));
          else resolve();
        });
        socket.once(opts.tls ? "secureConnect" : "connect", () => {
          socket.end(events.map((e) => octetCounted(syslogMessage(e))).join(""));
        });
      }),
  };
}

/** syslog over UDP: one RFC 5424 message a datagram. UDP has no delivery guarantee: a receiver that is down loses what is sent. */
export function syslogUdpSink(opts: { host: string; port: number }): Sink {
  return {
    name: "syslog",
    describe: `syslog UDP ${opts.host}:${opts.port}`,
    async send(events) {
      const socket = dgram.createSocket(net.isIPv6(opts.host) ? "udp6" : "udp4");
      try {
        for (const e of events) {
          const msg = Buffer.from(syslogMessage(e));
          await new Promise<void>((resolve, reject) => socket.send(msg, opts.port, opts.host, (err) => (err ? reject(err) : resolve())));
        }
      } finally {
        socket.close();
      }
    },
  };
}

export type HttpFormat = "webhook" | "hec" | "elastic" | "otlp";

/** HTTP JSON delivery: a generic webhook (JSON lines), Splunk HEC, Elastic _bulk, or OTLP/HTTP JSON logs; any 2xx confirms the batch. */
export function httpSink(opts: { format: HttpFormat; url: string; headers: Record<string, string>; index?: string }): Sink {
  const contentType = opts.format === "webhook" || opts.format === "elastic" ? "application/x-ndjson" : "application/json";
  const body = (events: SiemEvent[]) =>
    opts.format === "webhook" ? jsonLines(events) : opts.format === "hec" ? hecBody(events) : opts.format === "elastic" ? elasticBulkBody(events, opts.index ?? "gatehouse-audit") : otlpBody(events);
  return {
    name: opts.format,
    describe: `${opts.format} ${new URL(opts.url).origin}`,
    async send(events) {
      const res = await fetch(opts.url, { method: "POST", headers: { "content-type": contentType, ...opts.headers }, body: body(events), signal: AbortSignal.timeout(TIMEOUT_MS) });
      const text = await res.text();
      if (!res.ok) throw new Error(`${opts.format} answered HTTP ${res.status}: ${text.slice(0, 200)}`);
      // Elastic answers 200 with per-item errors: resend the batch (the ids make it idempotent).
      if (opts.format === "elastic" && /"errors"\s*:\s*true/.test(text)) throw new Error(`elastic refused some documents: ${text.slice(0, 200)}`);
    },
  };
}
