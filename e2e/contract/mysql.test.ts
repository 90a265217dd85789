import type { Connection, RowDataPacket } from "mysql2/promise";
import { describePipelineContract, type ClientOutcome, type ContractAdapter, type ContractSession, type Refused } from "./pipeline-contract";
import { forgedKey } from "../support/seed";
import { startMariadb } from "../support/mariadb-server";
import { gatewayConnection, seedMysqlConnection } from "../support/mysql-client";

// mysql2, a real driver, against the gateway's MySQL listener (no TLS: the key travels RSA-encrypted);
// the target is this file's private mariadbd. One client = one gateway session.
const refusalOf = (err: unknown): Refused => {
  const e = err as { errno?: number; code?: string | number; message?: string };
  return { ok: false, code: String(e.errno ?? e.code ?? "none"), message: e.message ?? String(err) };
};

const mysqlContract: ContractAdapter = {
  name: "mysql",
  sessionProtocol: "mysql",
  // 1045 ER_ACCESS_DENIED_ERROR for a bad key and for an unknown or ungranted connection alike; 1142 for a refused statement; 1927 ER_CONNECTION_KILLED.
  codes: { badCredential: "1045", noConnection: "1045", refused: "1142", ended: "1927" },
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
    const db = await startMariadb();
    return {
      addConnection: (name) => seedMysqlConnection(seed, name, db, { db: "shop" }),
      credential: async (who) => who.key,
      forgedCredential: forgedKey,
      async open(credential, connection) {
        let c: Connection;
        try {
          c = await gatewayConnection(gw.gw.ports.mysql, connection, credential);
        } catch (err) {
          return refusalOf(err);
        }
        let transcript = "";
        const core = (c as unknown as { connection: NodeJS.EventEmitter }).connection;
        const ended = new Promise<Refused>((resolve) => {
          core.on("error", (err: Error) => ((transcript += `ERROR: ${err.message}\n`), resolve(refusalOf(err))));
          core.on("end", () => resolve({ ok: false, code: "none", message: "the connection closed without a message" }));
        });
        const session: ContractSession = {
          async run(command): Promise<ClientOutcome> {
            try {
              const [rows] = await c.query<RowDataPacket[]>({ sql: command, rowsAsArray: true });
              const output = (rows as unknown as unknown[][]).map((row) => row.join("|")).join("\n");
              transcript += `${output}\n`;
              return { ok: true, output };
            } catch (err) {
              transcript += `ERROR: ${(err as Error).message}\n`;
              return refusalOf(err);
            }
          },
          // An idle client: the gateway's ERR arrives unsolicited, as the driver's "error" event.
          holdOpen: async () => ({ ended }),
          transcript: () => transcript,
          close: () => c.end().catch(() => {}),
        };
        return { ok: true, session };
      },
      stop: () => db.stop(),
    };
  },
};

describePipelineContract(mysqlContract);
