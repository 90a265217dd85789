import { randomBytes } from "node:crypto";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "../../drizzle/client";
import { createSecretBox } from "../crypto/secret-box";
import { saveConnectionRecord } from "./add-connection";
import { freshDatabase } from "../../e2e/support/fresh-database";

// The one writer of connection rows, on a fresh database in the run's private PostgreSQL.
let handle: DbHandle;
const box = createSecretBox(randomBytes(32));
beforeAll(async () => {
  handle = await freshDatabase();
});
afterAll(() => handle?.close());

const base = { host: "bastion", port: 22, user: "deploy", recording: true, allowForwarding: false };
const fp = `SHA256:${"A".repeat(42)}Q`;
const PIN = ["hostKey", "hostKeyPinnedAt", "hostKeyPinnedBy"];

/** What the gateway's first connection does (gateway/protocols/ssh/ssh-target.ts). */
const pinAtFirstUse = (id: string) =>
  handle.db.execute(sql`update connections set settings = settings || jsonb_build_object('hostKey', ${fp}::text, 'hostKeyPinnedAt', now()::text) where id = ${id}::uuid and not settings ? 'hostKey'`);

describe("saveConnectionRecord keepStoredSettings", () => {
  it("keeps a host key pinned after the form was read, and nothing else the update leaves out", async () => {
    const row = await saveConnectionRecord(handle.db, box, { name: "ssh-keep", type: "ssh", settings: base, secret: { privateKey: "k" } });
    await pinAtFirstUse(row.id);
    // The form was read before the pin: its settings have none, and say port 2222 now.
    const saved = await saveConnectionRecord(handle.db, box, { id: row.id, name: "ssh-keep", type: "ssh", settings: { ...base, port: 2222 }, keepStoredSettings: PIN });
    expect(saved?.settings).toEqual({ ...base, port: 2222, hostKey: fp, hostKeyPinnedAt: expect.any(String) });
  });

  it("lets the new settings win where they name a kept key, and keeps nothing without being asked", async () => {
    const row = await saveConnectionRecord(handle.db, box, { name: "ssh-over", type: "ssh", settings: base });
    await pinAtFirstUse(row.id);
    const other = `SHA256:${"B".repeat(42)}Q`;
    const typed = await saveConnectionRecord(handle.db, box, {
      id: row.id,
      name: "ssh-over",
      type: "ssh",
      settings: { ...base, hostKey: other, hostKeyPinnedAt: "t", hostKeyPinnedBy: "a@b" },
      keepStoredSettings: PIN,
    });
    expect(typed?.settings).toMatchObject({ hostKey: other, hostKeyPinnedAt: "t", hostKeyPinnedBy: "a@b" });
    const replaced = await saveConnectionRecord(handle.db, box, { id: row.id, name: "ssh-over", type: "ssh", settings: base });
    expect(replaced?.settings).toEqual(base);
  });
});

describe("saveConnectionRecord checks what it writes against the type's schemas", () => {
  it("refuses a type this Gatehouse does not know, and settings or a secret its type cannot use, writing nothing", async () => {
    await expect(saveConnectionRecord(handle.db, box, { name: "my-db", type: "mongodb" as "postgres", settings: { host: "db", port: 3306 } })).rejects.toThrow(
      'connection my-db has the type "mongodb", which this Gatehouse does not know (it knows postgres, mysql, ssh, http, kubernetes, mcp)',
    );
    await expect(saveConnectionRecord(handle.db, box, { name: "ssh-bad", type: "ssh", settings: { ...base, port: "22" } })).rejects.toThrow(/settings of ssh-bad do not fit its type \(ssh\): port/);
    await expect(saveConnectionRecord(handle.db, box, { name: "ssh-bad", type: "ssh", settings: { ...base, hostKey: "MD5:aa" } })).rejects.toThrow(/hostKey/);
    const { rows } = await handle.db.execute(sql`select name from connections where name in ('my-db', 'ssh-bad')`);
    expect(rows).toEqual([]);
  });
});
