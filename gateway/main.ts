import { loadConfig } from "./config";
import { startGateway } from "./start-gateway";
import { captureConsole, createLogSink } from "./log-sink";
import { runPrimary, workerIndex, workerInstance, workerLink } from "./workers";

/** `npm run gateway`: one gateway instance (or GATEHOUSE_WORKERS of them, see workers.ts); several may share one DATABASE_URL. */
async function main() {
  const config = loadConfig();
  const worker = workerIndex();
  if (worker !== null) config.instance = workerInstance(config.instance, worker);
  // Every line this process prints is a JSON log line, libraries' console output included.
  const log = createLogSink(config.instance);
  captureConsole(log);
  if (worker === null && config.workers > 1) return runPrimary(config, log);
  // A worker: the primary migrated the database before forking it.
  const starting = startGateway(config, worker === null ? { log } : { log, migrate: false, worker: workerLink() });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: shutting down`);
    // A signal during start-up waits for it, so that what it took (the instance lock, the journal) is given back.
    const gw = await starting.catch(() => null);
    await gw?.close().catch((e) => log(`shutting down: ${e instanceof Error ? e.stack : e}`, "error"));
    process.exit(0);
  };
  // Handled from the start: the ready line is printed before startGateway returns, and a SIGTERM right after it must not kill the process mid-way.
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
  // A bug in one session's handling must not take every other session down with the process.
  process.on("unhandledRejection", (reason) => log(`unhandled rejection: ${reason instanceof Error ? reason.stack : reason}`, "error"));
  await starting;
}

main().catch((err) => {
  console.error(`gateway failed to start: ${err instanceof Error ? err.message : err}`);
  process.exit(1);
});
