import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { openDb } from "../../../drizzle/client";
import { runMigrations } from "../../../drizzle/migrate";
import { addConsoleUser } from "../../../core/users/console-users";
import { loadConfig } from "../../../gateway/config";
import { startGateway, type RunningGateway } from "../../../gateway/start-gateway";
import { consoleBuildNeeded } from "../../../scripts/supervisor/console-build";
import { startOidcProvider, type TestOidcProvider } from "../../support/oidc-provider";
import { startSamlIdp, type TestSamlIdp } from "../../support/saml-idp";
import { freePort } from "../../support/free-port";
import { psqlAdmin, startPgServer, type PgServer } from "../../support/pg-server";

const root = path.resolve(import.meta.dirname, "../../..");
const nextBin = path.join(root, "node_modules/next/dist/bin/next");
/** The browser tests' own build folder, so a developer's `.next` is never touched. */
export const E2E_DIST_DIR = ".next-e2e";

export const ROLES = ["admin", "approver", "auditor", "member"] as const;
export type Role = (typeof ROLES)[number];

/** What the tests need to know about the running product; passed to test workers as JSON in the environment. */
export type StackInfo = {
  consoleUrl: string;
  gatewayPort: number;
  /** The gateway's SSH listener (user name = connection name, password = a Gatehouse key). */
  gatewaySshPort: number;
  /** The gateway's HTTP port (the API proxy, /k8s/ over TLS, /mcp). */
  gatewayHttpPort: number;
  /** Environment for the `gatehouse` CLI and for reaching the shared database. */
  env: Record<string, string>;
  /** A role `app` with password `secret` on database `shop` of the target PostgreSQL. */
  targetUrl: string;
  targetPort: number;
  accounts: Record<Role, { email: string; password: string }>;
  /** People on the OIDC provider's login page: login name -> e-mail. */
  ssoLogins: { admin: string; member: string };
  /** The SAML IdP (samlify): its login page lists these logins ("Continue as <login>"); /test/logout-request?email= starts an IdP-initiated logout. */
  samlIdp: { url: string; logins: { admin: string; member: string }; emails: { admin: string; member: string } };
  logFile: string;
};

/**
 * The whole product for the browser tests, for real: a private PostgreSQL (the shared database and
 * the target), the gateway in this process, a real OIDC provider with its login page, and the
 * production build of the console (`next start`) as a child process.
 */
export async function startConsoleStack(): Promise<{ info: StackInfo; stop: () => Promise<void> }> {
  const cleanups: Array<() => Promise<void> | void> = [];
  const stop = async () => {
    for (const c of cleanups.reverse()) await Promise.resolve(c()).catch((e) => console.error("teardown:", e));
  };
  try {
    const pg: PgServer = await startPgServer();
    cleanups.push(() => pg.stop());
    psqlAdmin(pg, ["create role app login password 'secret'", "create database shop owner app", "create database gatehouse"]);
    const dataDir = mkdtempSync(path.join(tmpdir(), "gatehouse-e2e-"));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const env: Record<string, string> = {
      DATABASE_URL: `postgres://postgres@localhost/gatehouse?host=${encodeURIComponent(pg.socketDir)}&port=${pg.port}`,
      GATEHOUSE_DATA_DIR: dataDir,
      GATEHOUSE_SECRET_KEY: randomBytes(32).toString("hex"),
      GATEHOUSE_PG_PORT: "0",
      GATEHOUSE_MYSQL_PORT: "0",
      GATEHOUSE_SSH_PORT: "0",
      GATEHOUSE_HTTP_PORT: "0",
      GATEHOUSE_INSTANCE: "e2e-console",
    };
    await runMigrations(env.DATABASE_URL);
    const accounts = await seedAccounts(env.DATABASE_URL);

    const consolePort = await freePort();
    // "localhost", not 127.0.0.1: Next's request URLs name a loopback host "localhost", and the
    // OIDC redirect URI built from them must match the one the browser started from.
    const consoleUrl = `http://localhost:${consolePort}`;
    env.GATEHOUSE_CONSOLE_URL = consoleUrl;

    const gateway: RunningGateway = await startGateway(loadConfig(env as NodeJS.ProcessEnv), { log: () => {} });
    cleanups.push(() => gateway.close());
    const sso = { clientId: "gatehouse-console", clientSecret: randomBytes(16).toString("hex"), redirectUri: `${consoleUrl}/api/auth/callback/oidc` };
    const idp: TestOidcProvider = await startOidcProvider({
      clients: [sso],
      accounts: {
        olivia: { email: "olivia@example.com", name: "Olivia Okafor", groups: ["gh-admins", "engineering"] },
        mo: { email: "mo@example.com", name: "Mo Member", groups: ["engineering"] },
      },
    });
    cleanups.push(() => idp.stop());
    const samlIdp: TestSamlIdp = await startSamlIdp({
      sasha: { email: "sasha@example.com", name: "Sasha Saml", groups: ["gh-admins", "engineering"] },
      sam: { email: "sam@example.com", name: "Sam Saml", groups: ["engineering"] },
    });
    cleanups.push(() => samlIdp.stop());

    const logFile = path.join(root, "test-results", "console-server.log");
    mkdirSync(path.dirname(logFile), { recursive: true });
    const consoleEnv = {
      ...process.env,
      ...env,
      GATEHOUSE_PG_PORT: String(gateway.ports.pg),
      // The browser terminal's WebSocket: the console tells the page this port.
      GATEHOUSE_HTTP_PORT: String(gateway.ports.http),
      // The SSH keys page's `ssh -p` line.
      GATEHOUSE_SSH_PORT: String(gateway.ports.ssh),
      NEXT_DIST_DIR: E2E_DIST_DIR,
      // The public address: the OIDC callback URL is built from it (Next's own request URL says localhost).
      AUTH_URL: consoleUrl,
      NEXT_TELEMETRY_DISABLED: "1",
      NEXT_IGNORE_INCORRECT_LOCKFILE: "1",
      OIDC_ISSUER: idp.issuer,
      OIDC_AUDIENCE: "https://gatehouse.test",
      OIDC_CLIENT_ID: sso.clientId,
      OIDC_CLIENT_SECRET: sso.clientSecret,
      OIDC_SCOPES: "openid email profile groups",
      GATEHOUSE_ADMIN_GROUPS: "gh-admins",
      SAML_IDP_METADATA_URL: samlIdp.metadataUrl,
      SAML_IDP_NAME: "Test IdP",
    };
    await buildConsole(consoleEnv, logFile);
    const server = spawn(process.execPath, [nextBin, "start", "-p", String(consolePort), "-H", "127.0.0.1"], { cwd: root, env: consoleEnv, stdio: ["ignore", "pipe", "pipe"] });
    const log = createWriteStream(logFile, { flags: "a" });
    server.stdout!.pipe(log);
    server.stderr!.pipe(log);
    cleanups.push(() => stopChild(server));
    await waitForHttp(`${consoleUrl}/sign-in`, server);
    // The IdP trusts the console as its administrator would: from the console's SP metadata.
    const spMetadata = await fetch(`${consoleUrl}/api/saml/metadata`);
    if (!spMetadata.ok) throw new Error(`the console's SAML metadata: ${spMetadata.status} ${await spMetadata.text()}`);
    samlIdp.trustServiceProvider(await spMetadata.text());

    return {
      info: {
        consoleUrl,
        gatewayPort: gateway.ports.pg,
        gatewaySshPort: gateway.ports.ssh,
        gatewayHttpPort: gateway.ports.http,
        env,
        targetUrl: pg.url("shop", "app", "secret") + "?sslmode=disable",
        targetPort: pg.port,
        accounts,
        ssoLogins: { admin: "olivia", member: "mo" },
        samlIdp: { url: samlIdp.url, logins: { admin: "sasha", member: "sam" }, emails: { admin: "sasha@example.com", member: "sam@example.com" } },
        logFile,
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function seedAccounts(databaseUrl: string): Promise<StackInfo["accounts"]> {
  const handle = openDb(databaseUrl, { max: 1 });
  try {
    const accounts = {} as StackInfo["accounts"];
    for (const role of ROLES) {
      const account = { email: `${role}@example.test`, password: `pw-${role}-${randomBytes(6).toString("hex")}` };
      // Approvers and admins are in the "dba" group that the review tests' rules name as approvers.
      const groups = role === "approver" || role === "admin" ? ["dba"] : [];
      await addConsoleUser(handle.db, { ...account, role, groups, name: `${role[0].toUpperCase()}${role.slice(1)} Person` });
      accounts[role] = account;
    }
    return accounts;
  } finally {
    await handle.close();
  }
}

/** Builds the console unless its build folder is current (a clean checkout always builds, ~30 s). */
async function buildConsole(env: NodeJS.ProcessEnv, logFile: string): Promise<void> {
  process.env.NEXT_DIST_DIR = E2E_DIST_DIR;
  const reason = consoleBuildNeeded(root);
  if (!reason) return;
  const build = spawn(process.execPath, [nextBin, "build"], { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  build.stdout!.on("data", (d) => (output += d));
  build.stderr!.on("data", (d) => (output += d));
  const code = await new Promise<number | null>((resolve) => build.on("close", resolve));
  createWriteStream(logFile, { flags: "a" }).end(output);
  if (code !== 0) throw new Error(`the console build failed:\n${output.slice(-4000)}`);
}

async function waitForHttp(url: string, proc: ChildProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`the console exited (${proc.exitCode}) before it answered`);
    const ok = await fetch(url).then(
      (r) => r.status < 500,
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`the console did not answer ${url} within 60 s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function stopChild(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null) return;
  proc.kill("SIGTERM");
  const exited = new Promise((r) => proc.once("exit", r));
  const timer = setTimeout(() => proc.kill("SIGKILL"), 5000);
  await exited;
  clearTimeout(timer);
}
