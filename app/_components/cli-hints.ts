import "server-only";
import path from "node:path";

export type CliHints = { cli: string; psqlHost: string; psqlPort: string };

/**
 * How a person reaches this installation from a shell: the CLI (with the environment it needs
 * to find the same database) and the gateway's postgres address. `npm start` passes the console
 * the gateway's actual port in GATEHOUSE_PG_PORT.
 */
export function cliHints(env: NodeJS.ProcessEnv = process.env): CliHints {
  const bind = env.GATEHOUSE_BIND ?? "127.0.0.1";
  const dataDir = path.resolve(env.GATEHOUSE_DATA_DIR ?? ".gatehouse");
  const prefix = env.DATABASE_URL ? "DATABASE_URL=... " : dataDir === path.resolve(".gatehouse") ? "" : `GATEHOUSE_DATA_DIR=${dataDir} `;
  return {
    cli: `${prefix}npx gatehouse`,
    psqlHost: bind === "0.0.0.0" || bind === "::" ? "127.0.0.1" : bind,
    psqlPort: env.GATEHOUSE_PG_PORT && env.GATEHOUSE_PG_PORT !== "0" ? env.GATEHOUSE_PG_PORT : "15432",
  };
}
