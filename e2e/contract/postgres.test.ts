import pg from "pg";
import { describePipelineContract, type ClientOutcome, type ContractAdapter, type ContractSession, type Refused } from "./pipeline-contract";
import { forgedKey, seedPostgresConnection } from "../support/seed";

// node-postgres, a real driver, against the gateway's Postgres listener; the target is the run's
// private PostgreSQL. One client = one gateway session.
const refusalOf = (err: unknown): Refused => {
  const e = err as { code?: string; message?: string };
  return { ok: false, code: e.code ?? "none", message: e.message ?? String(err) };
};

const postgres: ContractAdapter = {
  name: "postgres",
  sessionProtocol: "postgres",
  codes: { badCredential: "28P01", noConnection: "28000", refused: "42501", ended: "57P01" },
  cases: {
    "bad-credential": true,
    "no-connection": true,
    "deny-rule": true,
    "hold-approve": true,
    "hold-reject": true,
    "hold-timeout": true,
    "admin-kill": true,
    "key-revocation": true,
    "access-expiry": true,
    "audit-per-command": true,
    masking: true,
  },
  echo: (text) => `select '${text}' as value`,
  async start(gw, seed) {
    return {
      addConnection: (name) => seedPostgresConnection(seed, name, gw.target.url()),
      credential: async (who) => who.key,
      forgedCredential: forgedKey,
      async open(credential, connection) {
        const client = new pg.Client({ host: "127.0.0.1", port: gw.pgPort, database: connection, user: "contract", password: credential, ssl: false, connectionTimeoutMillis: 10_000 });
        let transcript = "";
        client.on("notice", (n) => (transcript += `NOTICE: ${n.message}\n`));
        const ended = new Promise<Refused>((resolve) => {
          client.on("error", (err) => ((transcript += `ERROR: ${err.message}\n`), resolve(refusalOf(err))));
          client.on("end", () => resolve({ ok: false, code: "none", message: "the connection closed without a message" }));
        });
        try {
          await client.connect();
        } catch (err) {
          return refusalOf(err);
        }
        const session: ContractSession = {
          async run(command): Promise<ClientOutcome> {
            try {
              const r = await client.query({ text: command, rowMode: "array" });
              const output = (r.rows as unknown[][]).map((row) => row.join("|")).join("\n");
              transcript += `${output}\n`;
              return { ok: true, output };
            } catch (err) {
              transcript += `ERROR: ${(err as Error).message}\n`;
              return refusalOf(err);
            }
          },
          // An idle client: the gateway's FATAL arrives as the driver's "error" event.
          holdOpen: async () => ({ ended }),
          transcript: () => transcript,
          close: () => client.end().catch(() => {}),
        };
        return { ok: true, session };
      },
      stop: async () => {},
    };
  },
};

describePipelineContract(postgres);
