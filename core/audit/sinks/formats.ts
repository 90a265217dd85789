import { hostname } from "node:os";
import type { SiemEvent } from "./siem-event";

const HOST = hostname().replace(/\s/g, "_").slice(0, 255) || "-";

/** syslog severity: denied is a warning, error an error, the rest informational; facility 13 (log audit). */
function priority(e: SiemEvent): number {
  const severity = e.status === "denied" ? 4 : e.status === "error" ? 3 : 6;
  return 13 * 8 + severity;
}

/** One RFC 5424 message: the JSON event as its MSG, the action as MSGID (printable ASCII, at most 32). */
export function syslogMessage(e: SiemEvent): string {
  const msgid = e.activity_name.replace(/[^\x21-\x7e]/g, "_").slice(0, 32) || "-";
  return `<${priority(e)}>1 ${e.time} ${HOST} gatehouse - ${msgid} - ${JSON.stringify(e)}`;
}

/** RFC 6587 octet counting: the message's length in bytes, a space, the message. */
export function octetCounted(message: string): string {
  return `${Buffer.byteLength(message)} ${message}`;
}

/** Generic webhook: one event a line. */
export const jsonLines = (events: SiemEvent[]) => events.map((e) => JSON.stringify(e)).join("\n") + "\n";

/** Splunk HTTP Event Collector, /services/collector/event: concatenated event objects. */
export const hecBody = (events: SiemEvent[]) =>
  events.map((e) => JSON.stringify({ time: Date.parse(e.time) / 1000, host: HOST, source: "gatehouse", sourcetype: "gatehouse:audit", event: e })).join("\n");

/** Elasticsearch _bulk: an index action with the event's id (a redelivery overwrites, never duplicates) and the document. */
export const elasticBulkBody = (events: SiemEvent[], index: string) =>
  events.map((e) => `${JSON.stringify({ index: { _index: index, _id: String(e.id) } })}\n${JSON.stringify({ "@timestamp": e.time, ...e })}\n`).join("");

const attr = (key: string, v: string | number | null) => (v === null ? null : { key, value: typeof v === "number" ? { intValue: String(v) } : { stringValue: v } });

/** OpenTelemetry logs, OTLP/HTTP JSON (/v1/logs): one log record per event, the event as its body. */
export function otlpBody(events: SiemEvent[]): string {
  const severity = (e: SiemEvent) => (e.status === "denied" ? [13, "WARN"] : e.status === "error" ? [17, "ERROR"] : [9, "INFO"]) as [number, string];
  return JSON.stringify({
    resourceLogs: [
      {
        resource: { attributes: [attr("service.name", "gatehouse"), attr("host.name", HOST)] },
        scopeLogs: [
          {
            scope: { name: "gatehouse.audit", version: String(events[0]?.version ?? 1) },
            logRecords: events.map((e) => ({
              timeUnixNano: String(BigInt(Date.parse(e.time)) * 1_000_000n),
              observedTimeUnixNano: String(BigInt(Date.now()) * 1_000_000n),
              severityNumber: severity(e)[0],
              severityText: severity(e)[1],
              body: { stringValue: JSON.stringify(e) },
              attributes: [
                attr("event.name", e.activity_name),
                attr("gatehouse.event.id", e.id),
                attr("gatehouse.status", e.status),
                attr("user.name", e.actor.user.name),
                attr("session.id", e.session.uid),
                attr("client.address", e.src_endpoint.ip),
                attr("gatehouse.connection", e.connection.name),
              ].filter((a) => a !== null),
            })),
          },
        ],
      },
    ],
  });
}
