import { afterAll, beforeAll, describe, expect, it } from "vitest";
import http from "node:http";
import type { AddressInfo } from "node:net";
import pg from "pg";
import { startTestGateway, type TestGateway } from "../support/gateway-harness";

// One HTTP receiver started by the test stands in for Splunk HEC, an OTLP collector, a webhook and
// Elastic's _bulk: it records what each received (headers and body) and checks the shapes below.
type Received = { path: string; headers: http.IncomingHttpHeaders; body: string };
const received: Received[] = [];
let failHecTimes = 0;
let server: http.Server;
let t: TestGateway;
let key: string;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      if (req.url === "/services/collector/event" && failHecTimes > 0) {
        failHecTimes--;
        res.writeHead(503).end('{"text":"Server is busy","code":9}');
        return;
      }
      received.push({ path: req.url!, headers: req.headers, body });
      if (req.url === "/_bulk") res.writeHead(200, { "content-type": "application/json" }).end('{"took":1,"errors":false,"items":[]}');
      else res.writeHead(200, { "content-type": "application/json" }).end(req.url?.startsWith("/services") ? '{"text":"Success","code":0}' : "{}");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  t = await startTestGateway({
    GATEHOUSE_AUDIT_HEC_URL: `${base}/services/collector/event`,
    GATEHOUSE_AUDIT_HEC_TOKEN: "hec-token-1",
    GATEHOUSE_AUDIT_OTLP_URL: `${base}/v1/logs`,
    GATEHOUSE_AUDIT_OTLP_HEADERS: JSON.stringify({ "x-otlp-key": "otlp-1" }),
    GATEHOUSE_AUDIT_WEBHOOK_URL: `${base}/hook`,
    GATEHOUSE_AUDIT_WEBHOOK_HEADERS: JSON.stringify({ Authorization: "Bearer hook-1" }),
    GATEHOUSE_AUDIT_ELASTIC_URL: `${base}/_bulk`,
    GATEHOUSE_AUDIT_ELASTIC_INDEX: "audit-test",
  });
  key = await t.setupAccess({ connection: "siem", identity: "siem-agent" });
});
afterAll(async () => {
  await t?.close();
  server?.close();
});

async function storedIds(): Promise<number[]> {
  const c = new pg.Client({ connectionString: t.env.DATABASE_URL });
  await c.connect();
  const { rows } = await c.query<{ id: string }>("select id from audit_events order by id");
  await c.end();
  return rows.map((r) => Number(r.id));
}

/** Event ids each path received, from its own format. */
function idsAt(path: string): number[] {
  const bodies = received.filter((r) => r.path === path).map((r) => r.body);
  if (path === "/v1/logs") return bodies.flatMap((b) => JSON.parse(b).resourceLogs[0].scopeLogs[0].logRecords.map((l: { body: { stringValue: string } }) => JSON.parse(l.body.stringValue).id));
  if (path === "/_bulk")
    return bodies.flatMap((b) =>
      b
        .trim()
        .split("\n")
        .filter((_, i) => i % 2 === 1)
        .map((l) => JSON.parse(l).id),
    );
  if (path === "/hook")
    return bodies.flatMap((b) =>
      b
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l).id),
    );
  return bodies.flatMap((b) =>
    b
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l).event.id),
  );
}

async function waitForAll(paths: string[], ids: number[], ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (paths.every((p) => ids.every((id) => idsAt(p).includes(id)))) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`not every sink received events ${ids.join(", ")} within ${ms / 1000} s`);
}

describe("[AUDIT][SIEM] HTTP sinks: Splunk HEC, OTLP/HTTP JSON logs, webhook JSON lines, Elastic bulk", () => {
  it("delivers every event in each format with its auth header, and retries through an outage with nothing lost", async () => {
    const paths = ["/services/collector/event", "/v1/logs", "/hook", "/_bulk"];
    failHecTimes = 3; // HEC is "busy" for its first three batches
    const r = await t.psql(key, "siem", ["-qAtc", "select 41 + 1"]);
    expect(r.stdout.trim()).toBe("42");
    // The gateway stores its audit in batches: what it holds is stored first, so the ids below include the statement's.
    await t.gw.deps.audit.flush();
    const ids = await storedIds();
    expect(ids.length).toBeGreaterThan(0);
    await waitForAll(paths, ids);
    for (const p of paths) expect(idsAt(p), p).toEqual(expect.arrayContaining(ids));
    expect(failHecTimes, "HEC refused three batches before it took one").toBe(0);

    // Splunk HEC: Authorization: Splunk <token>; concatenated {time, host, source, sourcetype, event}.
    const hec = received.find((x) => x.path === "/services/collector/event")!;
    expect(hec.headers.authorization).toBe("Splunk hec-token-1");
    const hecEvents = hec.body
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    const statement = [...received.filter((x) => x.path === "/services/collector/event")]
      .flatMap((x) =>
        x.body
          .trim()
          .split("\n")
          .map((l) => JSON.parse(l)),
      )
      .find((e) => e.event.activity_name === "statement");
    for (const e of hecEvents) {
      expect(typeof e.time).toBe("number");
      expect(e).toMatchObject({ source: "gatehouse", sourcetype: "gatehouse:audit", event: { schema: "gatehouse.audit", version: 1 } });
    }
    expect(statement.event).toMatchObject({
      activity_name: "statement",
      status: "ok",
      actor: { user: { name: "siem-agent", groups: ["analysts"] } },
      connection: { name: "siem" },
      session: { protocol: "postgres" },
      command: { text: "select 41 + 1", kind: "SELECT", rows: 1 },
      chain: { seq: expect.any(Number), hash: expect.stringMatching(/^[0-9a-f]{64}$/) },
    });

    // OTLP/HTTP JSON: resourceLogs -> scopeLogs -> logRecords, nanosecond times as strings, the event as the body.
    const otlp = received.find((x) => x.path === "/v1/logs")!;
    expect(otlp.headers["x-otlp-key"]).toBe("otlp-1");
    expect(otlp.headers["content-type"]).toBe("application/json");
    const doc = JSON.parse(otlp.body);
    expect(doc.resourceLogs[0].resource.attributes).toContainEqual({ key: "service.name", value: { stringValue: "gatehouse" } });
    expect(doc.resourceLogs[0].scopeLogs[0].scope.name).toBe("gatehouse.audit");
    const rec = doc.resourceLogs[0].scopeLogs[0].logRecords[0];
    expect(rec.timeUnixNano).toMatch(/^\d{19}$/);
    expect(rec).toMatchObject({ severityNumber: expect.any(Number), severityText: expect.any(String), body: { stringValue: expect.any(String) } });
    expect(JSON.parse(rec.body.stringValue)).toMatchObject({ schema: "gatehouse.audit", version: 1 });
    expect(rec.attributes).toContainEqual({ key: "event.name", value: { stringValue: JSON.parse(rec.body.stringValue).activity_name } });

    // Webhook: JSON lines with the configured header; Elastic: index action with the event id, then the document.
    expect(received.find((x) => x.path === "/hook")!.headers.authorization).toBe("Bearer hook-1");
    const bulk = received
      .find((x) => x.path === "/_bulk")!
      .body.trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(bulk[0]).toEqual({ index: { _index: "audit-test", _id: String(bulk[1].id) } });
    expect(bulk[1]["@timestamp"]).toBe(bulk[1].time);

    // Each sink's cursor is in the database, at the last event it confirmed.
    const c = new pg.Client({ connectionString: t.env.DATABASE_URL });
    await c.connect();
    const cursors = await c.query<{ name: string; last_id: string; last_error: string | null }>("select name, last_id, last_error from audit_sink_cursors order by name");
    await c.end();
    expect(cursors.rows.map((x) => x.name)).toEqual(["elastic", "hec", "otlp", "webhook"]);
    for (const x of cursors.rows) expect(Number(x.last_id)).toBeGreaterThanOrEqual(Math.max(...ids));
  });
});
