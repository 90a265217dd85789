import type { ProtocolAdapter } from "../../pipeline/adapter";
import { TargetCatalogs } from "./column-catalog";
import { startPgListener } from "./listener";

/** PostgreSQL on GATEHOUSE_PG_PORT: database name = connection name, password = token. */
export const postgresAdapter: ProtocolAdapter = {
  name: "postgres",
  async start({ deps, tls, bus }) {
    // The targets' catalogs, for resolving result columns to their sources (masking).
    const catalogs = new TargetCatalogs(deps.analyzer);
    const listener = await startPgListener(deps, tls, catalogs, bus);
    return {
      port: listener.port,
      listening: listener.listening,
      describe: `postgres listener on ${deps.config.bind}:${listener.port}`,
      close: async () => {
        await listener.close();
        await catalogs.close();
      },
    };
  },
};
