import { afterEach, describe, expect, it } from "vitest";
import { appendFileSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { AuditJournal, chainedRow } from "./audit-journal";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const journalIn = (instance = "host:15432") => {
  const dir = mkdtempSync(path.join(tmpdir(), "journal-"));
  dirs.push(dir);
  return { dir, journal: new AuditJournal({ dir, instance, fsync: true }) };
};
const row = (seq: number) => chainedRow(`h${seq - 1}`, { at: "2026-12-05T10:00:00.000Z", action: "statement", outcome: "ok", statement: `select ${seq}`, instance: "host:15432", seq });

describe("audit journal", () => {
  it("gives back what an earlier run appended, in order, skipping a torn last line", () => {
    const { dir, journal } = journalIn();
    journal.append([row(1), row(2)]);
    journal.rotate();
    journal.append([row(3)]);
    journal.close();
    const folder = path.join(dir, encodeURIComponent("host:15432"));
    const last = readdirSync(folder).sort().at(-1)!;
    appendFileSync(path.join(folder, last), '{"seq":4,"act');
    const left = new AuditJournal({ dir, instance: "host:15432", fsync: false }).readLeftovers();
    expect(left.rows.map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(left.torn).toBe(1);
    expect(left.files).toHaveLength(2);
  });

  it("deletes a closed segment only once every row in it is stored", () => {
    const { journal } = journalIn();
    journal.append([row(1), row(2)]);
    journal.rotate();
    journal.append([row(3)]);
    journal.release(1);
    expect(journal.readLeftovers().rows.map((r) => r.seq)).toEqual([1, 2, 3]);
    journal.release(2);
    expect(journal.readLeftovers().rows.map((r) => r.seq)).toEqual([3]);
    // The open segment stays until it is rotated out and stored.
    journal.release(3);
    expect(journal.readLeftovers().rows.map((r) => r.seq)).toEqual([3]);
    journal.rotate();
    journal.release(3);
    expect(journal.readLeftovers().rows).toEqual([]);
  });

  it("a shipment's rotation closes a segment only once it is old enough (each new file costs the gateway's thread)", () => {
    const { journal } = journalIn();
    journal.append([row(1)]);
    journal.rotate(60_000);
    journal.append([row(2)]);
    expect(journal.readLeftovers().files).toHaveLength(1);
    journal.rotate(0);
    journal.append([row(3)]);
    expect(journal.readLeftovers().files).toHaveLength(2);
  });

  it("reads back each row whole, in the line format of this version and of earlier ones (an object per line)", () => {
    const { dir, journal } = journalIn();
    const details = { masked: { email: 2 }, note: "tab\there" };
    const written = chainedRow("", {
      at: "2026-12-05T10:00:00.000Z",
      action: "statement",
      outcome: "error",
      groups: ["a", "b"],
      statement: 'select "x"',
      duration_ms: Math.fround(0.3),
      rows: null,
      sqlstate: "42P01",
      details,
      instance: "host:15432",
      seq: 1,
    });
    journal.append([written]);
    journal.close();
    const folder = path.join(dir, encodeURIComponent("host:15432"));
    const earlier = { at: "2026-12-05T10:00:01.000Z", action: "session.end", outcome: "ok", statement: null, instance: "host:15432", seq: 2, hash: "h2" };
    appendFileSync(path.join(folder, readdirSync(folder)[0]), JSON.stringify(earlier) + "\n");
    const [first, second] = new AuditJournal({ dir, instance: "host:15432", fsync: false }).readLeftovers().rows;
    expect(first).toEqual({
      ...written.row,
      identity_id: null,
      identity_name: null,
      connection_name: null,
      session_id: null,
      protocol: null,
      client_addr: null,
      statement_kind: null,
      message: null,
    });
    expect(first.hash).toBe(written.row.hash);
    expect(second).toEqual(earlier);
  });

  it("keeps instances apart, even when one name is a prefix of another", () => {
    const { dir, journal } = journalIn("a");
    journal.append([row(1)]);
    expect(new AuditJournal({ dir, instance: "a.b", fsync: false }).readLeftovers().rows).toEqual([]);
  });
});
