import { describe, expect, it } from "vitest";
import { postgres, postgresFormSchema } from "./postgres";

const form = { type: "postgres", name: "pg-prod", host: "db", port: "5432", database: "shop", user: "app", sslmode: "prefer", clearSecrets: [] };

describe("the Postgres idle session timeout setting", () => {
  it("is taken from --idle-timeout in whole seconds, and absent without it", async () => {
    expect((await postgres.cli.parse({ url: "postgres://app@h/shop", "idle-timeout": "300" })).settings).toMatchObject({ idleTimeoutSeconds: 300 });
    expect((await postgres.cli.parse({ url: "postgres://app@h/shop" })).settings).not.toHaveProperty("idleTimeoutSeconds");
    for (const bad of ["5m", "-1", "1.5", "604801"]) await expect(postgres.cli.parse({ url: "postgres://app@h/shop", "idle-timeout": bad })).rejects.toThrow("--idle-timeout takes whole seconds");
  });

  it("is optional in the console's form (empty: never) and stored as a number", async () => {
    expect(postgresFormSchema.parse({ ...form, idleTimeoutSeconds: "" }).idleTimeoutSeconds).toBeUndefined();
    const parsed = postgresFormSchema.parse({ ...form, idleTimeoutSeconds: "120" });
    expect(parsed.idleTimeoutSeconds).toBe(120);
    expect((await postgres.form.plan(parsed)).settings).toMatchObject({ idleTimeoutSeconds: 120 });
    expect(postgresFormSchema.safeParse({ ...form, idleTimeoutSeconds: "-5" }).success).toBe(false);
  });
});
