import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run, startTestGateway, type TestGateway } from "../support/gateway-harness";
import { leaksIn, startMaskedGateway } from "../masking/support/masked-gateway";

// Postgres drivers in other languages, from Debian, each with its own use of the protocol: Go's pgx
// v4 (its own protocol code: binary formats, a statement cache, batches, COPY FROM, the simple
// protocol on request) and lib/pq; Ruby's pg, PHP's PDO pgsql (server-side prepares) and Perl's
// DBD::Pg (libpq underneath, each driving it its own way). Each probe prints what it read, one line
// each: through the gateway it prints what it prints on a direct connection, over TLS and without;
// the last line is a write that a policy on the guarded connection refuses (42501, the rest
// unchanged), and a wrong key fails the sign-in as a wrong password does directly.
const fixtures = path.join(import.meta.dirname, "fixtures");
let t: TestGateway;
let key: string;
let dir: string;
let goProbe: string;

beforeAll(async () => {
  t = await startTestGateway();
  key = await t.setupAccess({ connection: "polyglot" });
  await t.setupAccess({ connection: "polyglot-guarded" });
  const made = await run("psql", [t.target.url(), "-qc", "create table if not exists gh_probe_guard (id int)"]);
  if (made.code !== 0) throw new Error(made.stderr);
  dir = mkdtempSync(path.join(tmpdir(), "gatehouse-polyglot-"));
  const policyFile = path.join(dir, "policy.json");
  writeFileSync(policyFile, JSON.stringify({ defaultAction: "allow", rules: [{ name: "guard-table", action: "deny", match: { tables: ["public.gh_probe_guard"], classes: ["write"] } }] }));
  const applied = await t.cli("policies", "apply", "polyglot-guarded", "-f", policyFile);
  if (applied.code !== 0) throw new Error(applied.stderr);
  goProbe = path.join(dir, "go-pg-probe");
  // GOPATH mode over Debian's packaged sources: no module download (no network here).
  const built = await run("go", ["build", "-o", goProbe, path.join(fixtures, "go_pg_probe.go")], {
    env: { GO111MODULE: "off", GOPATH: "/usr/share/gocode", GOCACHE: path.join(tmpdir(), "gatehouse-go-cache") },
    timeoutMs: 200_000,
  });
  if (built.code !== 0) throw new Error(built.stderr);
  await new Promise((r) => setTimeout(r, 1500)); // the gateway picks the policy up from the bus
}, 240_000);
afterAll(async () => {
  await t?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

type Probe = (host: string, port: number, user: string, password: string, db: string, sslmode: string) => Promise<{ stdout: string; stderr: string; code: number | null }>;
const probes: Record<string, Probe> = {
  "Go pgx": (...a) => run(goProbe, ["pgx", ...a.map(String)]),
  "Go lib/pq": (...a) => run(goProbe, ["pq", ...a.map(String)]),
  "Ruby pg": (...a) => run("ruby", [path.join(fixtures, "ruby_pg_probe.rb"), ...a.map(String)]),
  "PHP PDO pgsql": (...a) => run("php", [path.join(fixtures, "php_pg_probe.php"), ...a.map(String)]),
  "Perl DBD::Pg": (...a) => run("perl", [path.join(fixtures, "perl_pg_probe.pl"), ...a.map(String)]),
};
const lines = (r: { stdout: string; stderr: string }) => (r.stdout + r.stderr).trim().split("\n");

describe("[POSTGRES][POLYGLOT] Go, Ruby, PHP and Perl drivers through the gateway", () => {
  for (const [name, probe] of Object.entries(probes))
    it(`${name}: prepared and binary reads, COPY, a transaction and errors answer as the server does; denied; a wrong key`, async () => {
      const want = lines(await probe("127.0.0.1", t.target.port, "app", "secret", "shop", "disable"));
      expect(want.at(-1)).toBe("done");
      expect(
        want.some((l) => l.endsWith("23505")),
        want.join("\n"),
      ).toBe(true);
      for (const sslmode of ["disable", "require"]) {
        expect(lines(await probe("127.0.0.1", t.pgPort, "agent", key, "polyglot", sslmode)), sslmode).toEqual(want);
        const guarded = lines(await probe("127.0.0.1", t.pgPort, "agent", key, "polyglot-guarded", sslmode));
        // Everything up to the guarded write, then the refusal as the driver reports a server error.
        expect(guarded.slice(0, -1), sslmode).toEqual(want.slice(0, -2));
        expect(guarded.at(-1), sslmode).toBe("error 42501");
      }
      const wrongDirect = lines(await probe("127.0.0.1", t.target.port, "app", "not-the-password", "shop", "disable"));
      expect(lines(await probe("127.0.0.1", t.pgPort, "agent", "not-a-key", "polyglot", "disable"))).toEqual(wrongDirect);
    });
});

describe("[POSTGRES][POLYGLOT][MASKING] pgx decodes masked binary results", () => {
  it("rows read by pgx with binary formats (prepared) and as text (simple protocol) carry no seeded value, and still decode by their types", async () => {
    const s = await startMaskedGateway("masked-pgx");
    try {
      const queries = [
        "select id, name, email, card, card_no, profile, tags, note from customers where id > $1 order by id",
        "select c.id, row_to_json(c) as j, array_agg(email) over () as a from customers c where id > $1 order by id",
      ];
      s.proxy.reset();
      const out = lines(await run(goProbe, ["pgx-values", "127.0.0.1", String(s.proxy.port), "agent", s.key, s.connection, "disable", ...queries]));
      expect(out.at(-1), out.join("\n")).toBe("done");
      expect(out.filter((l) => l.startsWith("pgx values ")).length).toBe(8); // 2 rows, 2 queries, 2 protocols
      expect(out.join("\n")).toContain("[REDACTED]");
      expect(leaksIn(s.proxy.received())).toEqual([]);
    } finally {
      await s.close();
    }
  });
});
