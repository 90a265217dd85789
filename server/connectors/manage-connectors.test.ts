import { randomBytes } from "node:crypto";
import { and, eq, like } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { DbHandle } from "../../drizzle/client";
import { auditEvents, connections } from "../../drizzle/schema/index";
import { createSecretBox } from "../../core/crypto/secret-box";
import type { ConsoleUserContext } from "../auth/current-user";
import { connectionFormSchema } from "../connections/connection-forms";
import { saveConnection } from "../connections/save-connection";
import { AppError } from "../errors/app-error";
import { addConnectorFromConsole, connectorsOverview, issueConnectorTokenFromConsole, removeConnectorFromConsole, revokeConnectorTokensFromConsole } from "./manage-connectors";
import { freshDatabase } from "../../e2e/support/fresh-database";

// The marker throws outside Next's server bundle; these domain functions are server code all the same.
vi.mock("server-only", () => ({}));

// The console's connector changes and a connection's routing, on a fresh database in the run's private
// PostgreSQL: each is refused with core's message or audited in the console's chain, never with a token.
let handle: DbHandle;
const savedKey = process.env.GATEHOUSE_SECRET_KEY;
const box = createSecretBox(randomBytes(32));
const admin: ConsoleUserContext = { id: randomBytes(16).toString("hex"), email: "ada@example.test", name: null, role: "admin", identityId: null };

beforeAll(async () => {
  process.env.GATEHOUSE_SECRET_KEY = randomBytes(32).toString("hex");
  handle = await freshDatabase();
});
afterAll(async () => {
  await handle?.close();
  if (savedKey === undefined) delete process.env.GATEHOUSE_SECRET_KEY;
  else process.env.GATEHOUSE_SECRET_KEY = savedKey;
});

const events = (action: string) =>
  handle.db
    .select()
    .from(auditEvents)
    .where(and(eq(auditEvents.action, action), eq(auditEvents.identityName, admin.email)));
const refusal = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error("expected a refusal");
    },
    (err: unknown) => {
      expect(err).toBeInstanceOf(AppError);
      return err as AppError;
    },
  );
const pgForm = (name: string) => connectionFormSchema.parse({ type: "postgres", name, host: "db.site-a.internal", port: "5432", database: "shop", user: "app", password: "pw", sslmode: "prefer" });

describe("[CONNECTORS][CONSOLE] connector changes from the console", () => {
  it("adds a connector once, refusing a bad name with core's message under the field", async () => {
    await addConnectorFromConsole(handle.db, admin, "site-a");
    const taken = await refusal(addConnectorFromConsole(handle.db, admin, "site-a"));
    expect(taken.code).toBe("CONFLICT");
    const bad = await refusal(addConnectorFromConsole(handle.db, admin, "no spaces"));
    expect(bad).toMatchObject({ code: "INVALID_INPUT", fieldErrors: { name: expect.stringContaining("a connector name is 1-63 letters") } });
    const [added, ...more] = await events("console.connector.add");
    expect(more).toEqual([]);
    expect(added).toMatchObject({ outcome: "ok", protocol: "console", message: "connector site-a added", details: { target: "site-a" } });
  });

  it("issues a token shown once: the audit log has its prefix, never the token", async () => {
    const issued = await issueConnectorTokenFromConsole(handle.db, admin, "site-a", 3600);
    expect(issued.token).toMatch(/^ghc_[\w-]{43}$/);
    expect(issued.token.startsWith(issued.prefix)).toBe(true);
    const [event] = await events("console.connector.token_issue");
    expect(event.message).toContain(`connector token ${issued.prefix}… issued for site-a, valid until`);
    expect(JSON.stringify(event)).not.toContain(issued.token);
    const [listed] = await connectorsOverview(handle.db);
    expect(listed).toMatchObject({ name: "site-a", state: "never connected", tokens: [{ prefix: issued.prefix, revokedAt: null }] });
  });

  it("routes a connection through it with the form's save, audited; removal is refused while it does", async () => {
    const created = await saveConnection(handle.db, box, admin, pgForm("pg-site-a"), undefined, "site-a");
    const [row] = await handle.db.select({ connectorId: connections.connectorId }).from(connections).where(eq(connections.id, created.id));
    expect(row.connectorId).not.toBeNull();
    const [create] = await events("console.connection.create");
    expect(create).toMatchObject({ connectionName: "pg-site-a", message: "reached through connector site-a", details: { after: { connector: "site-a" } } });
    expect((await connectorsOverview(handle.db))[0].connections).toEqual([{ name: "pg-site-a", id: created.id }]);

    const refused = await refusal(removeConnectorFromConsole(handle.db, admin, "site-a"));
    expect(refused).toMatchObject({ code: "CONFLICT", message: expect.stringContaining("connections still route through site-a: pg-site-a") });

    // Saving without naming a connector keeps the route; a connector that does not exist is a field message.
    await saveConnection(handle.db, box, admin, pgForm("pg-site-a"), created.id);
    expect((await connectorsOverview(handle.db))[0].connections).toHaveLength(1);
    const missing = await refusal(saveConnection(handle.db, box, admin, pgForm("pg-site-a"), created.id, "site-b"));
    expect(missing).toMatchObject({ code: "INVALID_INPUT", fieldErrors: { connector: expect.stringContaining('no connector named "site-b"') } });

    await saveConnection(handle.db, box, admin, pgForm("pg-site-a"), created.id, null);
    const updates = await handle.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, "console.connection.update"), like(auditEvents.message, "dialled%")));
    expect(updates).toHaveLength(1);
    expect(updates[0].details).toMatchObject({ before: { connector: "site-a" }, after: { connector: null } });
  });

  it("revokes its tokens and removes it, each audited", async () => {
    expect(await revokeConnectorTokensFromConsole(handle.db, admin, "site-a")).toEqual({ revoked: 1 });
    const [revoked] = await events("console.connector.revoke");
    expect(revoked.message).toBe("1 token(s) of connector site-a revoked; its links are dropped");
    expect(revoked.details).toMatchObject({ before: { issued: [{ revokedAt: null }] }, after: { issued: [{ revokedAt: expect.any(String) }] } });
    await removeConnectorFromConsole(handle.db, admin, "site-a");
    expect(await connectorsOverview(handle.db)).toEqual([]);
    const [removed] = await events("console.connector.remove");
    expect(removed).toMatchObject({ message: "connector site-a removed", details: { before: { name: "site-a" } } });
    const gone = await refusal(removeConnectorFromConsole(handle.db, admin, "site-a"));
    expect(gone.message).toContain('no connector named "site-a"');
  });
});
