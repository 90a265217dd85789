import type { ProtocolAdapter } from "../../pipeline/adapter";
import { startMysqlListener } from "./listener";
import { loadMysqlRsaKey } from "./rsa-key";

/** MySQL and MariaDB on GATEHOUSE_MYSQL_PORT: user name = connection name, password = token. */
export const mysqlAdapter: ProtocolAdapter = {
  name: "mysql",
  async start({ deps, tls, bus }) {
    // For caching_sha2_password without TLS: clients encrypt the password to this key (kept in the data folder).
    const rsa = loadMysqlRsaKey(deps.config.dataDir);
    const listener = await startMysqlListener(deps, bus, tls, rsa).catch((err: Error) => {
      throw new Error(`cannot listen for MySQL on ${deps.config.bind}:${deps.config.ports.mysql}: ${err.message}`);
    });
    return { port: listener.port, listening: listener.listening, describe: `mysql listener on ${deps.config.bind}:${listener.port}`, close: listener.close };
  },
};
