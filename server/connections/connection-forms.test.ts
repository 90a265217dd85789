import { describe, expect, it } from "vitest";
import { connectionFormSchema, mergeSecret, splitConnectionForm, type ConnectionForm } from "./connection-forms";

const base = { type: "postgres", name: "pg-prod", host: "db", port: "5432", database: "shop", user: "app", password: "", sslmode: "prefer" };

describe("connection form schema", () => {
  it("accepts a Postgres form and reads the port as a number", () => {
    const r = connectionFormSchema.safeParse(base);
    expect(r.success && r.data.port).toBe(5432);
  });

  it("gives a message per field", () => {
    const r = connectionFormSchema.safeParse({ ...base, name: "bad name!", port: "70000", host: "" });
    expect(r.success).toBe(false);
    const paths = r.error!.issues.map((i) => i.path.join("."));
    expect(paths).toEqual(expect.arrayContaining(["name", "port", "host"]));
  });

  it("refuses types that are not available yet", () => {
    expect(connectionFormSchema.safeParse({ ...base, type: "ssh" }).success).toBe(false);
  });
});

describe("splitConnectionForm", () => {
  const form = (extra: Partial<ConnectionForm>) => connectionFormSchema.parse({ ...base, ...extra });

  it("keeps secrets out of the stored settings", () => {
    const s = splitConnectionForm(form({ password: "pw" }));
    expect(s.settings).toEqual({ host: "db", port: 5432, database: "shop", user: "app", sslmode: "prefer" });
    expect(s.typedSecrets).toEqual({ password: "pw" });
  });

  it("treats an empty secret field as keep, and a clear of a typed one as replace", () => {
    expect(splitConnectionForm(form({})).typedSecrets).toEqual({});
    expect(splitConnectionForm(form({ password: "new", clearSecrets: ["password"] })).clearSecrets).toEqual([]);
    expect(splitConnectionForm(form({ clearSecrets: ["password", "host"] })).clearSecrets).toEqual(["password"]);
  });
});

describe("mergeSecret", () => {
  it("leaves the stored secret alone when nothing was typed or cleared", () => {
    expect(mergeSecret({ password: "old" }, {}, [])).toBeUndefined();
    expect(mergeSecret(null, {}, ["password"])).toBeUndefined();
  });

  it("replaces typed fields and removes cleared ones", () => {
    expect(mergeSecret({ password: "old" }, { password: "new" }, [])).toEqual({ password: "new" });
    expect(mergeSecret({ password: "old" }, {}, ["password"])).toEqual({});
    expect(mergeSecret(null, { password: "pw" }, [])).toEqual({ password: "pw" });
  });
});
