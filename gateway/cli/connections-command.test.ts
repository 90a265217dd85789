import { describe, expect, it } from "vitest";
import type { Db } from "../../drizzle/client";
import type { SecretBox } from "../../core/crypto/secret-box";
import { addConnectionCommand, CONNECTION_FLAGS, CONNECTIONS_USAGE } from "./connections-command";
import { UsageError } from "./usage-error";

// The CLI's `connections` commands ask the registry: its help lists every type with its flags, and
// a type it does not know is a usage error that names the ones it does. None of these reach the
// database or seal anything (a refusal comes first), so stand-ins that cannot do either are given.
const noDb = {} as Db;
const noBox = () => ({}) as SecretBox;
const refusal = (flags: Record<string, string | boolean | undefined>, name: string | undefined) =>
  addConnectionCommand(noDb, noBox, name, flags, () => {}).then(
    () => {
      throw new Error("expected a refusal");
    },
    (err: Error) => err,
  );

describe("connections add", () => {
  it("lists each type's flags in the help, aligned with the other commands", () => {
    expect(CONNECTIONS_USAGE).toBe(
      [
        "  connections add <name> --type postgres --url URL [--idle-timeout S]",
        "                                                       add a connection (the password in URL is stored encrypted)",
        "  connections add <name> --type mysql --url URL [--tls M] [--allow-local-infile]",
        "                                                       a MySQL or MariaDB target (the password in URL is stored encrypted)",
        "  connections add <name> --type ssh --host H [--port P] --user U (--password PW | --private-key-file F)",
        "        [--host-key SHA256:...] [--recording off] [--allow-forwarding]",
        "                                                       an SSH target (host key pinned at first use unless given)",
        "  connections add <name> --type http --url URL [--auth bearer|header|basic|query|none] [--auth-name N] [--auth-user U]",
        "        --credential SECRET [--header 'Name: value'] [--insecure] [--timeout-ms MS] [--max-body-bytes N] [--held-requests wait|accepted]",
        "        [--oversize-bodies stream|refuse] [--store-bodies BYTES]",
        "                                                       an HTTP API at /proxy/<name>/ (the credential stored encrypted, injected)",
        "  connections add <name> --type kubernetes --server https://API:6443 [--ca-file ca.pem] (--token T | --client-cert-file C --client-key-file K)",
        "        [--impersonate] [--secrets-exempt-groups g1,g2] [--insecure] [--timeout-ms MS] [--max-body-bytes N]",
        "                                                       a Kubernetes API server at /k8s/<name>/ (the credential stored encrypted)",
        "  connections add <name> --type mcp (--url URL [--auth bearer|header|none] [--auth-name N] [--credential SECRET]",
        "        | --transport stdio --command PROGRAM [--args JSON-ARRAY] [--credential-env NAME --credential SECRET])",
        "        [--trust-new-tools] [--timeout-ms MS]",
        "                                                       an upstream MCP server at /mcp/<name> (tools judged; each tool's definition approved by an admin)",
        "  connections list [--json]                            list connections (never their secrets)",
      ].join("\n"),
    );
  });

  it("parses every type's flags", () => {
    for (const flag of [
      "url",
      "sslmode",
      "idle-timeout",
      "host",
      "port",
      "user",
      "password",
      "private-key-file",
      "host-key",
      "recording",
      "allow-forwarding",
      "tls",
      "allow-local-infile",
      "store-bodies",
      "oversize-bodies",
    ])
      expect(CONNECTION_FLAGS).toHaveProperty(flag);
  });

  it("refuses a missing name, a missing or unknown --type and a missing --url as usage errors", async () => {
    const noName = await refusal({ type: "postgres", url: "postgres://a@b/c" }, undefined);
    expect(noName).toBeInstanceOf(UsageError);
    expect(noName.message).toBe("connections add needs a name");
    for (const [type, shown] of [
      [undefined, "(missing)"],
      ["mongodb", "mongodb"],
    ] as const) {
      const err = await refusal({ type }, "x");
      expect(err).toBeInstanceOf(UsageError);
      expect(err.message).toBe(`--type ${shown} is not supported yet: postgres, mysql, ssh, http, kubernetes or mcp`);
    }
    const noUrl = await refusal({ type: "postgres" }, "x");
    expect(noUrl).toBeInstanceOf(UsageError);
    expect(noUrl.message).toBe("--url postgres://user:password@host:port/database is required");
  });

  it("gives a bad value as a plain error (exit 1, no help)", async () => {
    const err = await refusal({ type: "ssh", user: "deploy", password: "pw" }, "x");
    expect(err).not.toBeInstanceOf(UsageError);
    expect(err.message).toBe("--host is required");
  });
});
