import { timingSafeEqual, createHash } from "node:crypto";
import type http from "node:http";
import type pg from "pg";
import type { HttpRouter } from "./router";
import type { GatewayMetrics } from "../metrics/gateway-metrics";

export type HealthOptions = {
  pool: pg.Pool;
  metrics: GatewayMetrics;
  /** Listener name -> is it accepting connections now (every protocol listener and this HTTP port). */
  listeners: () => Record<string, boolean>;
  /** GATEHOUSE_METRICS_TOKEN: `/metrics` asks for `Authorization: Bearer <token>`; unset: open. */
  metricsToken?: string;
  /** How long the database check may take before the gateway counts as not ready (ms). */
  dbTimeoutMs?: number;
  log: (m: string, level?: "info" | "warn" | "error") => void;
};

/**
 * `/healthz` (the process answers), `/readyz` (the gateway database answers a `select 1` within
 * the timeout and every listener is up; else 503 naming what is not) and `/metrics` (Prometheus
 * text format), on the gateway's HTTP port. None needs a Gatehouse credential, so none says
 * anything sensitive: names of checks, never addresses, errors of the driver or identities.
 */
export function mountHealthRoutes(router: HttpRouter, opts: HealthOptions): void {
  const dbCheck = databaseCheck(opts.pool, opts.dbTimeoutMs ?? 2000, opts.log);
  router.mount("/healthz", "liveness: 200 while the process answers", {
    request: (req, res) => {
      if (!allowMethod(req, res)) return;
      json(res, 200, { status: "ok" });
    },
  });
  router.mount("/readyz", "readiness: 200 when the database and every listener are up, else 503", {
    request: (req, res) => {
      if (!allowMethod(req, res)) return;
      void dbCheck().then((database) => {
        const listeners = opts.listeners();
        const down = Object.entries(listeners)
          .filter(([, up]) => !up)
          .map(([name]) => `listener ${name}`);
        const notReady = [...(database === "ok" ? [] : [`database (${database})`]), ...down];
        json(res, notReady.length ? 503 : 200, { status: notReady.length ? "not ready" : "ready", checks: { database, listeners }, notReady });
      });
    },
  });
  const expected = opts.metricsToken ? digest(`Bearer ${opts.metricsToken}`) : null;
  router.mount("/metrics", "Prometheus metrics (text exposition format)", {
    request: (req, res) => {
      if (!allowMethod(req, res)) return;
      if (expected && !timingSafeEqual(digest(req.headers.authorization ?? ""), expected)) {
        res.writeHead(401, { "content-type": "text/plain; charset=utf-8", "www-authenticate": 'Bearer realm="gatehouse-metrics"' }).end("a bearer token (GATEHOUSE_METRICS_TOKEN) is required\n");
        return;
      }
      opts.metrics.render().then(
        (text) => res.writeHead(200, { "content-type": opts.metrics.contentType(), "cache-control": "no-store" }).end(text),
        (err: Error) => {
          opts.log(`metrics: ${err.message}`, "error");
          res.writeHead(500, { "content-type": "text/plain; charset=utf-8" }).end("the metrics could not be collected\n");
        },
      );
    },
  });
}

/**
 * A `select 1` on the gateway's pool, at most one in flight: while one is pending (a database that
 * does not answer), later probes do not pile more queries on the pool; they get `timeout` too.
 */
function databaseCheck(pool: pg.Pool, timeoutMs: number, log: HealthOptions["log"]): () => Promise<"ok" | "timeout" | "unreachable"> {
  let inFlight: Promise<"ok" | "unreachable"> | null = null;
  let lastLogged = "";
  return async () => {
    inFlight ??= pool.query("select 1").then(
      () => "ok" as const,
      (err: Error) => {
        if (err.message !== lastLogged) log(`readiness: the gateway database did not answer: ${err.message.slice(0, 200)}`, "warn");
        lastLogged = err.message;
        return "unreachable" as const;
      },
    );
    const mine = inFlight;
    void mine.finally(() => {
      if (inFlight === mine) inFlight = null;
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), timeoutMs)));
    const result = await Promise.race([mine, timeout]);
    clearTimeout(timer);
    if (result === "ok") lastLogged = "";
    return result;
  };
}

function allowMethod(req: http.IncomingMessage, res: http.ServerResponse): boolean {
  if (req.method === "GET" || req.method === "HEAD") return true;
  res.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain; charset=utf-8" }).end("method not allowed\n");
  return false;
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" }).end(JSON.stringify(body));
}

const digest = (s: string) => createHash("sha256").update(s).digest();
