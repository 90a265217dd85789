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

  it("ignores what the client sends after an extended-protocol error came back, simple queries too, until its Sync", () => {
    const h = harness();
    h.front(serialize.bind({ statement: "missing" }));
    h.front(serialize.flush());
    h.back(errorResponse({ severity: "ERROR", code: "26000", message: 'prepared statement "missing" does not exist' }));
    // The server reads and ignores these: nothing of theirs may be paired with what comes next.
    h.front(serialize.query("select 'ignored'"));
    h.front(serialize.execute({}));
    h.front(serialize.sync());
    h.back(readyForQuery("I"));
    h.front(serialize.query("select 'next'"));
    expect(h.tracker.responding()).toMatchObject({ op: "query", record: { text: "select 'next'" } });
    h.back(complete("SELECT 1"));
    h.back(readyForQuery("I"));
    expect(h.records.map((r) => r.text)).toEqual(["", "select 'next'"]);
  });

  it("runs a Parse's, Bind's or Close's follow-up when the target completes it, the other when it fails or skips it", () => {
    const h = harness();
    const done: string[] = [];
    h.front(serialize.parse({ name: "s1", text: "select 1" }));
    h.tracker.whenDone(() => done.push("parse s1"));
    h.front(serialize.parse({ name: "s1", text: "select 2" }));
    h.tracker.whenDone(
      () => done.push("parse s1 again"),
      () => done.push("parse s1 again failed"),
    );
    h.front(serialize.bind({ statement: "s1" }));
    h.tracker.whenDone(
      () => done.push("bind"),
      () => done.push("bind skipped"),
    );
    h.front(serialize.sync());
    h.back(msg("1"));
    h.back(errorResponse({ severity: "ERROR", code: "42P05", message: 'prepared statement "s1" already exists' }));
    h.back(readyForQuery("I"));
    expect(done).toEqual(["parse s1", "parse s1 again failed", "bind skipped"]);
  });

  it("swallows the answer to the gateway's own Describe before an Execute, and reports the Execute's failure through it", () => {
    const h = harness();
    h.front(serialize.execute({ portal: "p1" }));
    const describe = h.tracker.describeFirst("p1")!;
    expect(describe.toString("latin1")).toBe("D\0\0\0\x08Pp1\0");
    h.front(serialize.sync());
    h.back(errorResponse({ severity: "ERROR", code: "34000", message: 'portal "p1" does not exist' }));
    h.back(readyForQuery("I"));
    expect(h.records).toMatchObject([{ protocol: "extended", error: { code: "34000" } }]);
    h.front(serialize.bind({ portal: "p2" }));
    h.front(serialize.execute({ portal: "p2" }));
    h.tracker.describeFirst("p2");
    h.front(serialize.sync());
    h.back(msg("2"));
    expect(h.back(msg("n"))).toHaveLength(0); // NoData, for the gateway alone
    expect(h.back(complete("SELECT 0"))).toBeUndefined();
  });

  it("writes a query that failed when the session ends before its ReadyForQuery, with its own error", () => {
    const h = harness();
    h.front(serialize.query("select name::int from customers"));
    h.front(serialize.query("select 2"));
    h.back(errorResponse({ severity: "ERROR", code: "22P02", message: "invalid input syntax" }));
    expect(h.records).toHaveLength(0);
    h.tracker.drainUnfinished("the client went away");
    expect(h.records).toMatchObject([
      { text: "select name::int from customers", error: { code: "22P02", message: "invalid input syntax" } },
      { text: "select 2", error: { code: "08006", message: "the client went away" } },
    ]);
  });
});
