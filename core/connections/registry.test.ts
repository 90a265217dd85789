import { describe, expect, it } from "vitest";
import { z } from "zod";
import { CONNECTION_TYPES } from "./connection-settings";
import { InvalidConnectionSettings, UnknownConnectionType } from "./connection-type";
import {
  CONNECTION_TYPE_MODULES,
  PLANNED_CONNECTION_TYPES,
  connectionCliFlags,
  connectionTypeOf,
  connectionTypes,
  describeConnection,
  findConnectionType,
  joinTypeNames,
  parseConnectionSettings,
  terminalOf,
  typesServedBy,
} from "./registry";

// The registry is what the console, the CLI and the gateway ask instead of branching on a type's
// name: every type must answer every question, and a type nobody knows must be said so.

describe("every registered type has every duty", () => {
  it("lists postgres, mysql, ssh, http, kubernetes and mcp once each, none of them also planned", () => {
    expect(connectionTypes.map((t) => t.type)).toEqual(["postgres", "mysql", "ssh", "http", "kubernetes", "mcp"]);
    expect(new Set(connectionTypes.map((t) => t.type)).size).toBe(connectionTypes.length);
    for (const p of PLANNED_CONNECTION_TYPES) expect(findConnectionType(p.type), p.type).toBeUndefined();
  });

  for (const t of CONNECTION_TYPE_MODULES) {
    describe(t.type, () => {
      it("is a type the schema stores, with a label, a listener and a terminal (or none)", () => {
        expect(CONNECTION_TYPES).toContain(t.type);
        expect(t.label).toMatch(/\S/);
        expect(["postgres", "mysql", "ssh", "http", "kubernetes", "mcp"]).toContain(t.listener);
        expect([null, "psql", "ssh-shell"]).toContain(t.terminal);
      });

      it("has settings and secret schemas, and parses its own stored settings with defaults for what is missing", () => {
        expect(t.settingsSchema).toBeInstanceOf(z.ZodType);
        expect(t.secretSchema).toBeInstanceOf(z.ZodType);
        const parsed = t.parseSettings({ name: "x", type: t.type, settings: {} });
        expect(t.settingsSchema.safeParse(parsed).success).toBe(true);
        expect(t.address(parsed as never)).toMatch(/:\d+$/);
      });

      it("describes a form: a schema of its own type, the fields it renders, defaults for those fields", () => {
        const schema = t.form.schema as z.ZodObject;
        expect(schema).toBeInstanceOf(z.ZodObject);
        expect(schema.shape.type.safeParse(t.type).success).toBe(true);
        expect(t.form.fields.length).toBeGreaterThan(0);
        for (const f of t.form.fields) expect(Object.keys(schema.shape), f.key).toContain(f.key);
        for (const key of Object.keys(t.form.defaults)) expect(t.form.fields.map((f) => f.key)).toContain(key);
        expect(t.form.nameUse).toMatch(/\S/);
        expect(typeof t.form.plan).toBe("function");
        expect(typeof t.test).toBe("function");
      });

      it("has CLI flags, help and an example that names its type", () => {
        expect(Object.keys(t.cli.flags).length).toBeGreaterThan(0);
        expect(t.cli.usage.flags.length).toBeGreaterThan(0);
        expect(t.cli.usage.about).toMatch(/\S/);
        expect(t.cli.example).toContain(`--type ${t.type}`);
        for (const flag of Object.keys(t.cli.flags)) expect(flag).not.toBe("type");
      });

      it("summarises a stored connection for the console and the CLI list", () => {
        const s = t.parseSettings({ name: "x", type: t.type, settings: {} });
        const lines = t.summary(s as never, false);
        expect(lines.length).toBeGreaterThan(0);
        expect(lines[0].tone).toBe("target");
        expect(t.cli.listed(s as never)).toMatch(/\S/);
        expect(t.cli.added(s as never)).toMatch(/\S/);
      });
    });
  }

  it("gives a flag shared by several types one kind, so the CLI can parse them all at once", () => {
    const kinds = new Map<string, string>();
    for (const t of connectionTypes) {
      for (const [flag, { type }] of Object.entries(t.cli.flags)) {
        expect(kinds.get(flag) ?? type, `--${flag} of ${t.type}`).toBe(type);
        kinds.set(flag, type);
      }
    }
    expect(connectionCliFlags()).toMatchObject({ url: { type: "string" }, host: { type: "string" }, "allow-forwarding": { type: "boolean" } });
  });

  it("says which listener serves which types, and what the terminal runs", () => {
    expect(typesServedBy("postgres")).toEqual(["postgres"]);
    expect(typesServedBy("ssh")).toEqual(["ssh"]);
    expect(typesServedBy("mysql")).toEqual(["mysql"]);
    expect(typesServedBy("http")).toEqual(["http"]);
    expect(typesServedBy("kubernetes")).toEqual(["kubernetes"]);
    expect(terminalOf("http")).toBeNull();
    expect(terminalOf("postgres")).toBe("psql");
    expect(terminalOf("ssh")).toBe("ssh-shell");
    expect(terminalOf("mysql")).toBeNull();
  });

  it("only SSH pins a host key", () => {
    expect(connectionTypes.filter((t) => t.hostKeyPin).map((t) => t.type)).toEqual(["ssh"]);
  });
});

describe("a type this Gatehouse does not know", () => {
  it("is a clear error naming the type, the connection and the types it knows", () => {
    expect(() => connectionTypeOf("mongodb")).toThrow(UnknownConnectionType);
    expect(() => connectionTypeOf("mongodb")).toThrow('this Gatehouse does not know the connection type "mongodb" (it knows postgres, mysql, ssh, http, kubernetes, mcp)');
    expect(() => parseConnectionSettings({ name: "legacy-db", type: "mongodb", settings: { host: "db" } })).toThrow(
      'connection legacy-db has the type "mongodb", which this Gatehouse does not know (it knows postgres, mysql, ssh, http, kubernetes, mcp)',
    );
  });

  it("is listed with a warning instead of a target, without a terminal and never throwing", () => {
    const d = describeConnection({ name: "legacy-db", type: "mongodb", settings: { host: "db" }, hasSecret: true });
    expect(d).toMatchObject({ typeLabel: "mongodb", known: false, terminal: null });
    expect(d.summary).toEqual([{ text: "unknown type: this Gatehouse cannot serve it", tone: "warning", title: expect.stringContaining('does not know the connection type "mongodb"') }]);
    expect(d.listed).toContain('"mongodb"');
  });

  it("names the types it knows in CLI wording", () => {
    expect(joinTypeNames(["postgres", "ssh"])).toBe("postgres or ssh");
    expect(joinTypeNames(["postgres", "ssh", "mysql"])).toBe("postgres, ssh or mysql");
    expect(joinTypeNames(["postgres"])).toBe("postgres");
  });
});

describe("parseSettings", () => {
  it("reads what the gateway always defaulted: Postgres 127.0.0.1:5432 postgres/postgres prefer; SSH root@127.0.0.1:22, recording on, forwarding off", () => {
    expect(connectionTypeOf("postgres").parseSettings({ name: "p", type: "postgres", settings: {} })).toEqual({
      host: "127.0.0.1",
      port: 5432,
      database: "postgres",
      user: "postgres",
      sslmode: "prefer",
    });
    expect(connectionTypeOf("ssh").parseSettings({ name: "s", type: "ssh", settings: {} })).toEqual({ host: "127.0.0.1", port: 22, user: "root", recording: true, allowForwarding: false });
  });

  it("keeps what is stored, the host key pin included", () => {
    const fp = `SHA256:${"A".repeat(42)}Q`;
    const stored = { host: "bastion", port: 2222, user: "deploy", recording: false, allowForwarding: true, hostKey: fp, hostKeyPinnedAt: "2026-01-01 10:00:00+00" };
    expect(connectionTypeOf("ssh").parseSettings({ name: "s", type: "ssh", settings: stored })).toEqual(stored);
  });

  it("refuses another type's row and settings it cannot use, naming the connection and the setting", () => {
    expect(() => connectionTypeOf("ssh").parseSettings({ name: "pg-prod", type: "postgres", settings: {} })).toThrow("connection pg-prod is a postgres connection, not ssh");
    expect(() => connectionTypeOf("postgres").parseSettings({ name: "pg-prod", type: "postgres", settings: { port: "not a port" } })).toThrow(InvalidConnectionSettings);
    expect(() => connectionTypeOf("postgres").parseSettings({ name: "pg-prod", type: "postgres", settings: { sslmode: "allow" } })).toThrow(/pg-prod.*sslmode/);
    const d = describeConnection({ name: "pg-prod", type: "postgres", settings: { port: "x" }, hasSecret: true });
    expect(d).toMatchObject({ typeLabel: "PostgreSQL", known: true, summary: [{ tone: "warning", text: expect.stringMatching(/pg-prod.*port/) }] });
  });
});
