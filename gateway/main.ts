import { loadConfig } from "./config";
import { startGateway } from "./start-gateway";

/** `npm run gateway`: one gateway instance; several may share one DATABASE_URL. */
async function main() {
  const config = loadConfig();
  const gw = await startGateway(config);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.error(`[gateway ${config.instance}] ${signal}: shutting down`);
    await gw.close().catch((e) => console.error(e));
    process.exit(0);
  };
  // A bug in one session's handling must not take every other session down with the process.
  process.on("unhandledRejection", (reason) => console.error(`[gateway ${config.instance}] unhandled rejection: ${reason instanceof Error ? reason.stack : reason}`));
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
}

main().catch((err) => {
  console.error(`gateway failed to start: ${err instanceof Error ? err.message : err}`);
  process.exit(1);
});
