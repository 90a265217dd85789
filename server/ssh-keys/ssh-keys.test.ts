import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { DbHandle } from "../../drizzle/client";
import { auditEvents, identities, sshPublicKeys } from "../../drizzle/schema/index";
import type { ConsoleUserContext } from "../auth/current-user";
import { AppError } from "../errors/app-error";
import { addSshKey } from "./add-ssh-key";
import { listSshKeys } from "./list-ssh-keys";
import { removeSshKey } from "./remove-ssh-key";
import { freshDatabase } from "../../e2e/support/fresh-database";

// The marker throws outside Next's server bundle; these domain functions are server code all the same.
vi.mock("server-only", () => ({}));

// Who may touch whose SSH keys, on a fresh database in the run's private PostgreSQL, with keys from ssh-keygen.
let handle: DbHandle;
let dir: string;
const ids: Record<"rosa" | "sam" | "bot", string> = { rosa: "", sam: "", bot: "" };
const keygen = (name: string) => {
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", `${name}@test`, "-f", path.join(dir, name)]);
  const fingerprint = execFileSync("ssh-keygen", ["-lf", path.join(dir, `${name}.pub`)], { encoding: "utf8" }).split(" ")[1];
  return { pub: readFileSync(path.join(dir, `${name}.pub`), "utf8"), priv: readFileSync(path.join(dir, name), "utf8"), fingerprint };
};

beforeAll(async () => {
  handle = await freshDatabase();
  dir = mkdtempSync(path.join(tmpdir(), "gatehouse-sshkeys-"));
  for (const [who, kind] of [
    ["rosa", "person"],
    ["sam", "person"],
    ["bot", "agent"],
  ] as const) {
    const [row] = await handle.db.insert(identities).values({ name: who, kind }).returning({ id: identities.id });
    ids[who] = row.id;
  }
});
afterAll(async () => {
  await handle?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const person = (identity: "rosa" | "sam" | null, role: ConsoleUserContext["role"] = "member"): ConsoleUserContext => ({
  id: randomBytes(16).toString("hex"),
  email: `${identity ?? "nobody"}-${role}@example.test`,
  name: null,
  role,
  identityId: identity ? ids[identity] : null,
});
const refusal = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error("expected a refusal");
    },
    (e: unknown) => e as AppError,
  );
const storedKeys = (identity: keyof typeof ids) => handle.db.select().from(sshPublicKeys).where(eq(sshPublicKeys.identityId, ids[identity]));
const events = (actor: string) => handle.db.select().from(auditEvents).where(eq(auditEvents.identityName, actor));

describe("SSH keys in the console: a person manages their own identity's keys", () => {
  it("adds, lists and removes a key of their own identity, each change audited by fingerprint only", async () => {
    const rosa = person("rosa");
    const key = keygen("rosa-laptop");
    const added = await addSshKey(handle.db, rosa, { publicKey: key.pub, name: "laptop" });
    expect(added).toMatchObject({ fingerprint: key.fingerprint, name: "laptop", type: "ssh-ed25519", identityName: "rosa" });
    const view = await listSshKeys(handle.db, rosa);
    expect(view).toMatchObject({ kind: "owner", owner: { name: "rosa", kind: "person", isSelf: true }, keys: [{ fingerprint: key.fingerprint, name: "laptop", lastUsedAt: null }] });

    await removeSshKey(handle.db, rosa, { fingerprint: key.fingerprint });
    expect(await storedKeys("rosa")).toEqual([]);
    const audit = await events(rosa.email);
    expect(audit.map((e) => [e.action, e.outcome])).toEqual([
      ["console.sshkey.add", "ok"],
      ["console.sshkey.remove", "ok"],
    ]);
    expect(audit[0].details).toEqual({ target: "rosa", after: { identity: "rosa", name: "laptop", type: "ssh-ed25519", fingerprint: key.fingerprint } });
    const blob = key.pub.split(" ")[1];
    expect(JSON.stringify(audit)).not.toContain(blob);
  });

  it("names the key after the line's comment when no name is given", async () => {
    const key = keygen("rosa-desk");
    expect((await addSshKey(handle.db, person("rosa"), { publicKey: key.pub })).name).toBe("rosa-desk@test");
  });

  it("refuses a private key without storing or auditing any of it", async () => {
    const rosa = person("rosa");
    const key = keygen("rosa-secret");
    const before = (await storedKeys("rosa")).length;
    const err = await refusal(addSshKey(handle.db, rosa, { publicKey: key.priv }));
    expect(err).toBeInstanceOf(AppError);
    expect(err.code).toBe("INVALID_INPUT");
    expect(err.fieldErrors?.publicKey).toContain("This is a private key");
    expect(err.message).not.toContain("OPENSSH PRIVATE KEY");
    expect(await storedKeys("rosa")).toHaveLength(before);
    expect(JSON.stringify(await events(rosa.email))).not.toContain("PRIVATE KEY");
  });

  it("says why a line is not a key, and refuses two keys in one paste", async () => {
    const rosa = person("rosa");
    const garbage = await refusal(addSshKey(handle.db, rosa, { publicKey: "ssh-ed25519 not-base64" }));
    expect(garbage.fieldErrors?.publicKey).toMatch(/^Not an SSH public key/);
    const two = await refusal(addSshKey(handle.db, rosa, { publicKey: `${keygen("a").pub}${keygen("b").pub}` }));
    expect(two.fieldErrors?.publicKey).toContain("Paste one key: this has 2 lines");
  });

  it("refuses a key that is already registered, to anyone", async () => {
    const key = keygen("shared");
    await addSshKey(handle.db, person("sam"), { publicKey: key.pub });
    const err = await refusal(addSshKey(handle.db, person("rosa"), { publicKey: key.pub }));
    expect(err.code).toBe("CONFLICT");
    expect((await storedKeys("rosa")).map((k) => k.fingerprint)).not.toContain(key.fingerprint);
  });

  it("tells a person without a linked identity to ask an admin, and changes nothing", async () => {
    const nobody = person(null);
    expect(await listSshKeys(handle.db, nobody)).toEqual({ kind: "unlinked" });
    const err = await refusal(addSshKey(handle.db, nobody, { publicKey: keygen("nobody").pub }));
    expect(err.code).toBe("FORBIDDEN");
    expect(err.message).toContain("Ask an admin to link one to your account on the Console users page");
  });
});

describe("SSH keys in the console: another identity's keys are for admins only", () => {
  it("refuses a member listing, adding or removing keys of another identity, and audits the changes as denied", async () => {
    const sam = person("sam");
    const samKey = keygen("sam-key");
    await addSshKey(handle.db, sam, { publicKey: samKey.pub, name: "sam's" });
    const rosa = person("rosa");
    for (const role of ["member", "approver", "auditor"] as const) {
      const someone = person("rosa", role);
      expect((await refusal(listSshKeys(handle.db, someone, { identityId: ids.sam }))).code).toBe("FORBIDDEN");
      expect((await refusal(addSshKey(handle.db, someone, { identityId: ids.bot, publicKey: keygen(`bot-by-${role}`).pub }))).code).toBe("FORBIDDEN");
      expect((await refusal(removeSshKey(handle.db, someone, { identityId: ids.sam, fingerprint: samKey.fingerprint }))).code).toBe("FORBIDDEN");
    }
    // An id that does not exist gets the same refusal: a member cannot probe for identities.
    expect((await refusal(listSshKeys(handle.db, rosa, { identityId: "00000000-0000-4000-8000-000000000000" }))).code).toBe("FORBIDDEN");
    // Naming sam's fingerprint under one's own identity removes nothing either.
    expect((await refusal(removeSshKey(handle.db, rosa, { fingerprint: samKey.fingerprint }))).code).toBe("NOT_FOUND");
    expect((await storedKeys("sam")).map((k) => k.fingerprint)).toContain(samKey.fingerprint);
    expect(await storedKeys("bot")).toEqual([]);
    const denied = (await events(rosa.email)).filter((e) => e.outcome === "denied");
    expect(denied.map((e) => [e.action, (e.details as { target?: string } | null)?.target])).toEqual([
      ["console.sshkey.add", ids.bot],
      ["console.sshkey.remove", ids.sam],
    ]);
  });

  it("lets an admin manage any identity's keys, agents included, audited under the admin with the identity as target", async () => {
    const admin = person(null, "admin");
    const key = keygen("bot-key");
    await addSshKey(handle.db, admin, { identityId: ids.bot, publicKey: key.pub, name: "deploy bot" });
    expect(await listSshKeys(handle.db, admin, { identityId: ids.bot })).toMatchObject({
      kind: "owner",
      owner: { name: "bot", kind: "agent", isSelf: false },
      keys: [{ fingerprint: key.fingerprint }],
    });
    const samKey = (await storedKeys("sam"))[0];
    await removeSshKey(handle.db, admin, { identityId: ids.sam, fingerprint: samKey.fingerprint });
    expect((await storedKeys("sam")).map((k) => k.fingerprint)).not.toContain(samKey.fingerprint);
    const audit = await events(admin.email);
    expect(audit.map((e) => [e.action, e.outcome, (e.details as { target?: string }).target])).toEqual([
      ["console.sshkey.add", "ok", "bot"],
      ["console.sshkey.remove", "ok", "sam"],
    ]);
    expect((await refusal(listSshKeys(handle.db, admin, { identityId: "00000000-0000-4000-8000-000000000000" }))).code).toBe("NOT_FOUND");
  });
});
