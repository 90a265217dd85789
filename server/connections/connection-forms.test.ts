import { describe, expect, it } from "vitest";
import { CONNECTION_FORMS, connectionFormSchema, formSpecOf, mergeSecret, splitConnectionForm, type ConnectionForm } from "./connection-forms";

const base = { type: "postgres", name: "pg-prod", host: "db", port: "5432", database: "shop", user: "app", password: "", sslmode: "prefer" };

describe("connection form schema", () => {
  it("accepts a Postgres form and reads the port as a number", () => {
    const r = connectionFormSchema.safeParse(base);
    expect(r.success && r.data.type === "postgres" && r.data.port).toBe(5432);
  });

  it("gives a message per field", () => {
    const r = connectionFormSchema.safeParse({ ...base, name: "bad name!", port: "70000", host: "" });
    expect(r.success).toBe(false);
    const paths = r.error!.issues.map((i) => i.path.join("."));
    expect(paths).toEqual(expect.arrayContaining(["name", "port", "host"]));
  });

  it("refuses types it has no form for, and offers Kubernetes", () => {
    expect(connectionFormSchema.safeParse({ ...base, type: "mongodb" }).success).toBe(false);
    expect(CONNECTION_FORMS.find((s) => s.type === "kubernetes")?.available).toBe(true);
    const kube = { type: "kubernetes", name: "prod-cluster", server: "https://10.0.0.1:6443", token: "t", tlsVerify: "true", impersonate: "false" };
    expect(connectionFormSchema.safeParse(kube).success).toBe(true);
    expect(connectionFormSchema.safeParse({ ...kube, server: "http://10.0.0.1:6443" }).success).toBe(false);
  });
});

describe("SSH connection form", () => {
  const ssh = {
    type: "ssh",
    name: "ssh-bastion",
    host: "bastion",
    port: "22",
    user: "deploy",
    auth: "privateKey",
    privateKey: "",
    password: "",
    recording: "true",
    allowForwarding: "false",
    hostKey: "",
  };
  const fp = "SHA256:" + "A".repeat(42) + "Q";

  it("starts from port 22, recording on and forwarding off", () => {
    const spec = formSpecOf("ssh")!;
    expect(spec.defaults).toMatchObject({ port: "22", recording: "true", allowForwarding: "false", auth: "privateKey" });
    const r = connectionFormSchema.parse({ ...ssh, recording: undefined, allowForwarding: undefined });
    expect(r).toMatchObject({ type: "ssh", port: 22, recording: true, allowForwarding: false, hostKey: undefined });
  });

  it("reads the checkboxes from the form's strings and from a stored row's booleans", () => {
    expect(connectionFormSchema.parse({ ...ssh, recording: "false", allowForwarding: "true" })).toMatchObject({ recording: false, allowForwarding: true });
    expect(connectionFormSchema.parse({ ...ssh, recording: false, allowForwarding: true })).toMatchObject({ recording: false, allowForwarding: true });
    expect(connectionFormSchema.safeParse({ ...ssh, recording: "maybe" }).success).toBe(false);
  });

  it("takes a host key fingerprint only as ssh-keygen prints it", () => {
    expect(connectionFormSchema.parse({ ...ssh, hostKey: ` ${fp} ` })).toMatchObject({ hostKey: fp });
    for (const bad of ["SHA256:short", "MD5:aa:bb", fp.slice(7), `${fp}=`]) {
      const r = connectionFormSchema.safeParse({ ...ssh, hostKey: bad });
      expect(r.success, bad).toBe(false);
      expect(r.error!.issues[0].path).toEqual(["hostKey"]);
    }
  });

  it("gives a message per field: host, port, user, name", () => {
    const r = connectionFormSchema.safeParse({ ...ssh, host: " ", port: "0", user: "de ploy", name: "-x" });
    expect(r.error!.issues.map((i) => i.path.join("."))).toEqual(expect.arrayContaining(["host", "port", "user", "name"]));
    expect(r.error!.issues.find((i) => i.path[0] === "name")!.message).toMatch(/SSH user name/);
  });

  it("stores host, port, user and the switches; the credential is a secret and the choice of it is not stored", () => {
    const s = splitConnectionForm(connectionFormSchema.parse({ ...ssh, privateKey: "KEY", hostKey: fp }));
    expect(s.settings).toEqual({ host: "bastion", port: 22, user: "deploy", recording: true, allowForwarding: false, hostKey: fp });
    expect(s.typedSecrets).toEqual({ privateKey: "KEY" });
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
