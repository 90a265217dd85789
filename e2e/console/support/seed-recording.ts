import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import { openDb, type Db } from "../../../drizzle/client";
import { sessions } from "../../../drizzle/schema/index";
import { Recorder } from "../../../core/recordings/recorder";

/** The shared database of the browser tests' stack; close it when done. */
export const openStackDb = (databaseUrl: string) => openDb(databaseUrl, { max: 2, applicationName: "gatehouse-e2e-seed" });

/** A session row as the gateway writes one, for a terminal (SSH) or a Postgres session. */
export async function createSessionRow(db: Db, opts: { identity: string; connection: string; protocol?: "ssh" | "postgres"; active?: boolean }): Promise<string> {
  const id = randomUUID();
  await db.insert(sessions).values({
    id,
    identityName: opts.identity,
    groups: ["ops"],
    connectionName: opts.connection,
    protocol: opts.protocol ?? "ssh",
    clientAddr: "127.0.0.1",
    clientUser: opts.connection,
    gatewayInstance: "e2e-console",
    startedAt: new Date(),
    status: opts.active === false ? "closed" : "active",
    ...(opts.active === false ? { endedAt: new Date(), endReason: "client closed the session" } : {}),
  });
  return id;
}

export async function closeSessionRow(db: Db, id: string): Promise<void> {
  await db.update(sessions).set({ status: "closed", endedAt: new Date(), endReason: "client closed the session" }).where(eq(sessions.id, id));
}

/** A closed SSH session with a short, finished recording (written by the real Recorder). */
export async function seedRecordedSession(db: Db, identity: string): Promise<string> {
  const id = await createSessionRow(db, { identity, connection: "ssh-box" });
  const recorder = await Recorder.start(db, id, { width: 80, height: 24, title: `${identity} @ ssh-box`, env: { TERM: "xterm-256color", SHELL: "/bin/bash" } });
  recorder.output("\x1b[1;32mops@ssh-box\x1b[0m:~$ ");
  recorder.input("uptime\r");
  recorder.output("uptime\r\n 10:00:00 up 3 days,  1 user,  load average: 0.00, 0.01, 0.05\r\n");
  await recorder.close();
  await closeSessionRow(db, id);
  return id;
}
