import { describe, expect, it } from "vitest";
import { serialize } from "pg-protocol";
import { StatementTracker, type RequestRecord } from "./statement-tracker";
import { errorResponse, readyForQuery } from "./backend-messages";

const msg = (type: string, body: Buffer = Buffer.alloc(0)) => {
  const b = Buffer.alloc(5 + body.length);
  b.write(type, 0, "latin1");
  b.writeInt32BE(4 + body.length, 1);
  body.copy(b, 5);
  return b;
};
const complete = (tag: string) => msg("C", Buffer.from(tag + "\0"));

function harness() {
  const records: RequestRecord[] = [];
  let now = 1000;
  const t = new StatementTracker(
    (r) => records.push(r),
    () => (now += 5),
  );
  const front = (b: Buffer) => t.onFrontend(b[0], b, 0, b.length);
  const back = (b: Buffer) => t.onBackend(b[0], b, 0, b.length);
  return { records, front, back, tracker: t };
}

describe("[CODEC][TRACKER] pairs responses with requests", () => {
  it("collects the completions of a multi-statement simple query", () => {
    const h = harness();
    h.front(serialize.query("select 1; select 2"));
    h.back(complete("SELECT 1"));
    h.back(complete("SELECT 1"));
    expect(h.records).toHaveLength(0);
    h.back(readyForQuery("I"));
    expect(h.records).toHaveLength(1);
    expect(h.records[0].completions.map((c) => c.tag)).toEqual(["SELECT 1", "SELECT 1"]);
  });

  it("attributes an extended-protocol error to its execute and skips to Sync", () => {
    const h = harness();
    h.front(serialize.parse({ text: "select 1/0" }));
    h.front(serialize.bind({}));
    h.front(serialize.execute({}));
    h.front(serialize.parse({ text: "select 'skipped'" }));
    h.front(serialize.bind({}));
    h.front(serialize.execute({}));
    h.front(serialize.sync());
    h.back(msg("1"));
    h.back(msg("2"));
    h.back(errorResponse({ severity: "ERROR", code: "22012", message: "division by zero" }));
    h.back(readyForQuery("I"));
    expect(h.records).toHaveLength(1);
    expect(h.records[0]).toMatchObject({ text: "select 1/0", error: { code: "22012" } });
    // The next batch pairs correctly again.
    h.front(serialize.parse({ text: "select 3" }));
    h.front(serialize.bind({}));
    h.front(serialize.execute({}));
    h.front(serialize.sync());
    h.back(msg("1"));
    h.back(msg("2"));
    h.back(complete("SELECT 1"));
    h.back(readyForQuery("I"));
    expect(h.records[1]).toMatchObject({ text: "select 3", completions: [{ tag: "SELECT 1", rows: 1 }] });
  });

  it("reports a failed Parse with its text and requests cut off by a vanished session", () => {
    const h = harness();
    h.front(serialize.parse({ text: "selec 1" }));
    h.front(serialize.sync());
    h.back(errorResponse({ severity: "ERROR", code: "42601", message: "syntax error" }));
    h.back(readyForQuery("I"));
    expect(h.records[0]).toMatchObject({ text: "selec 1", error: { code: "42601" } });
    h.front(serialize.query("select pg_sleep(10)"));
    h.tracker.drainUnfinished("client vanished");
    expect(h.records[1]).toMatchObject({ text: "select pg_sleep(10)", error: { code: "08006", message: "client vanished" } });
  });
});
