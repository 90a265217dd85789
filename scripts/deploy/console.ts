/**
 * The console alone, as the container image and the Helm chart run it (`npm start` runs it beside
 * the gateway instead): migrates the shared database, creates the first admin when there is none
 * (a generated password is printed once, as under `npm start`), then runs `next start` on the
 * production build made at image build time. Needs DATABASE_URL; the embedded database is
 * `npm start`'s alone.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { runMigrations } from "../../drizzle/migrate";
import { ensureFirstAdmin } from "../supervisor/first-admin";

const root = path.resolve(import.meta.dirname, "../..");

async function main() {
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) throw new Error("DATABASE_URL is required: the console alone has no embedded database");
  await runMigrations(databaseUrl);
  const admin = await ensureFirstAdmin(databaseUrl);
  if (admin.kind === "generated") console.log(`first console admin: ${admin.email} with the password ${admin.password} (shown once; change it after signing in)`);
  const port = process.env.PORT ?? "3000";
  const host = process.env.GATEHOUSE_CONSOLE_HOST ?? "0.0.0.0";
  const next = spawn(process.execPath, [path.join(root, "node_modules/next/dist/bin/next"), "start", "-p", port, "-H", host], {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
  });
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => next.kill(signal));
  next.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

main().catch((err: Error) => {
  console.error(`the console failed to start: ${err.message}`);
  process.exit(1);
});
