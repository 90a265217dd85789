import { describe, expect, it } from "vitest";
import { redactSecrets } from "./redact-secrets";

describe("redactSecrets", () => {
  it("hides secret-looking fields at any depth and keeps the rest", () => {
    const at = new Date("2026-01-01T00:00:00Z");
    const out = redactSecrets({
      name: "pg-prod",
      settings: { host: "db", password: "hunter2", nested: [{ apiToken: "t0k", port: 5432 }] },
      secretEnc: "v1:abc",
      passwordHash: "scrypt$...",
      privateKey: "-----BEGIN",
      emptyPassword: "",
      createdAt: at,
    });
    expect(out).toEqual({
      name: "pg-prod",
      settings: { host: "db", password: "[redacted]", nested: [{ apiToken: "[redacted]", port: 5432 }] },
      secretEnc: "[redacted]",
      passwordHash: "[redacted]",
      privateKey: "[redacted]",
      emptyPassword: "",
      createdAt: at,
    });
  });
});
