import { readFileSync } from "node:fs";
import { httpSink, syslogStreamSink, syslogUdpSink, type Sink } from "./transports";

/** The sink variables (README, "SIEM streaming"); each set variable is one sink with its own cursor. */
export const SINK_VARIABLES = [
  "GATEHOUSE_AUDIT_SYSLOG",
  "GATEHOUSE_AUDIT_SYSLOG_CA",
  "GATEHOUSE_AUDIT_WEBHOOK_URL",
  "GATEHOUSE_AUDIT_WEBHOOK_HEADERS",
  "GATEHOUSE_AUDIT_HEC_URL",
  "GATEHOUSE_AUDIT_HEC_TOKEN",
  "GATEHOUSE_AUDIT_ELASTIC_URL",
  "GATEHOUSE_AUDIT_ELASTIC_INDEX",
  "GATEHOUSE_AUDIT_ELASTIC_HEADERS",
  "GATEHOUSE_AUDIT_OTLP_URL",
  "GATEHOUSE_AUDIT_OTLP_HEADERS",
] as const;

class SinkConfigError extends Error {
  constructor(variable: string, message: string) {
    super(`invalid configuration:\n  ${variable}: ${message}`);
  }
}

function headers(env: NodeJS.ProcessEnv, variable: string): Record<string, string> {
  const raw = env[variable];
  if (!raw) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new SinkConfigError(variable, 'a JSON object of header names and values, e.g. {"Authorization":"Bearer ..."}');
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed) || Object.values(parsed).some((v) => typeof v !== "string")) {
    throw new SinkConfigError(variable, "a JSON object whose values are strings");
  }
  return parsed as Record<string, string>;
}

function url(env: NodeJS.ProcessEnv, variable: string): string | undefined {
  const raw = env[variable];
  if (!raw) return undefined;
  try {
    const u = new URL(raw);
    if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error();
  } catch {
    throw new SinkConfigError(variable, "an http(s) URL");
  }
  return raw;
}

/** The sinks the environment configures, validated (a bad value stops the gateway with the variable's name). */
export function sinksFromEnv(env: NodeJS.ProcessEnv): Sink[] {
  const sinks: Sink[] = [];
  const syslog = env.GATEHOUSE_AUDIT_SYSLOG;
  if (syslog) {
    const m = /^(tls|tcp|udp):\/\/(\[[^\]]+\]|[^:/]+):(\d{1,5})\/?$/.exec(syslog);
    if (!m) throw new SinkConfigError("GATEHOUSE_AUDIT_SYSLOG", "tls://host:port, tcp://host:port or udp://host:port");
    const [, scheme, rawHost, port] = m;
    const host = rawHost.replace(/^\[|\]$/g, "");
    let ca: string | undefined;
    if (env.GATEHOUSE_AUDIT_SYSLOG_CA) {
      try {
        ca = readFileSync(env.GATEHOUSE_AUDIT_SYSLOG_CA, "utf8");
      } catch (err) {
        throw new SinkConfigError("GATEHOUSE_AUDIT_SYSLOG_CA", `cannot read ${env.GATEHOUSE_AUDIT_SYSLOG_CA}: ${(err as Error).message}`);
      }
    }
    sinks.push(scheme === "udp" ? syslogUdpSink({ host, port: Number(port) }) : syslogStreamSink({ host, port: Number(port), tls: scheme === "tls", ca }));
  }
  const webhook = url(env, "GATEHOUSE_AUDIT_WEBHOOK_URL");
  if (webhook) sinks.push(httpSink({ format: "webhook", url: webhook, headers: headers(env, "GATEHOUSE_AUDIT_WEBHOOK_HEADERS") }));
  const hec = url(env, "GATEHOUSE_AUDIT_HEC_URL");
  if (hec) {
    if (!env.GATEHOUSE_AUDIT_HEC_TOKEN) throw new SinkConfigError("GATEHOUSE_AUDIT_HEC_TOKEN", "required with GATEHOUSE_AUDIT_HEC_URL (the HEC token)");
    sinks.push(httpSink({ format: "hec", url: hec, headers: { authorization: `Splunk ${env.GATEHOUSE_AUDIT_HEC_TOKEN}` } }));
  }
  const elastic = url(env, "GATEHOUSE_AUDIT_ELASTIC_URL");
  if (elastic) sinks.push(httpSink({ format: "elastic", url: elastic, headers: headers(env, "GATEHOUSE_AUDIT_ELASTIC_HEADERS"), index: env.GATEHOUSE_AUDIT_ELASTIC_INDEX || "gatehouse-audit" }));
  const otlp = url(env, "GATEHOUSE_AUDIT_OTLP_URL");
  if (otlp) sinks.push(httpSink({ format: "otlp", url: otlp, headers: headers(env, "GATEHOUSE_AUDIT_OTLP_HEADERS") }));
  return sinks;
}
