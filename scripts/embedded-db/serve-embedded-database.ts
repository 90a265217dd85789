import net from "node:net";
import { chmodSync, existsSync, mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm";
import { SharedBackend, type BackendSession } from "./shared-backend";
import { FrameReader, errorResponse } from "./wire-frames";

export type EmbeddedDatabase = { socketPath: string; close: () => Promise<void> };

export type EmbeddedDatabaseOptions = {
  dataDir: string;
  /** Socket connections served at once (gateway pool + console pool + CLI runs). */
  maxConnections?: number;
  /** A connection that holds the backend idle this long (an open transaction) is disconnected. */
  idleInTransactionMs?: number;
  /** The database itself failed (PGlite aborted): nothing more can be served. */
  onFatal?: (err: Error) => void;
};

export class DataFolderInUseError extends Error {}

/**
 * Opens PGlite on `<dataDir>/pgdata` and serves it on the unix socket `<dataDir>/.s.PGSQL.5432`,
 * so every process uses the ordinary `pg` driver. The socket doubles as the folder's lock: two
 * PGlite instances on one folder corrupt it, so a folder whose socket answers is refused.
 */
export async function serveEmbeddedDatabase(opts: EmbeddedDatabaseOptions): Promise<EmbeddedDatabase> {
  const dataDir = path.resolve(opts.dataDir);
  const socketPath = path.join(dataDir, ".s.PGSQL.5432");
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (existsSync(socketPath)) {
    if (await answers(socketPath))
      throw new DataFolderInUseError(`another Gatehouse is already using ${dataDir} (its database socket answers); stop it first, or set GATEHOUSE_DATA_DIR to another folder`);
    rmSync(socketPath, { force: true }); // left by a run that was killed
  }
  // Listening before PGlite opens takes the lock at once; connections that arrive meanwhile wait.
  let backend: SharedBackend | undefined;
  const early: Array<() => void> = [];
  const sockets = new Set<net.Socket>();
  const maxConnections = opts.maxConnections ?? 64;
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    const attach = () => serveConnection(socket, backend!, () => sockets.size > maxConnections);
    if (backend) attach();
    else {
      socket.pause();
      early.push(() => (attach(), socket.resume()));
    }
  });
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(socketPath, () => resolve()));
  chmodSync(socketPath, 0o600); // the embedded database trusts whoever connects: this user only

  let db: PGlite;
  try {
    // pg_trgm serves the audit log's free-text search (drizzle/migrations/0015_audit-text-search.sql).
    db = await PGlite.create(path.join(dataDir, "pgdata"), { extensions: { pg_trgm } });
  } catch (err) {
    const closed = new Promise((r) => server.close(r));
    for (const s of sockets) s.destroy();
    await closed;
    throw new Error(
      `could not open the embedded database in ${path.join(dataDir, "pgdata")}: ${(err as Error).message}. ` +
        "If two Gatehouse processes used this folder at once it may be damaged: restore it from a backup, or move it away to start afresh.",
    );
  }
  chmodSync(path.join(dataDir, "pgdata"), 0o700); // as PostgreSQL insists for its data directory
  backend = new SharedBackend(db, { idleInTransactionMs: opts.idleInTransactionMs ?? 60_000, onFatal: opts.onFatal ?? (() => {}) });
  for (const go of early.splice(0)) go();

  return {
    socketPath,
    async close() {
      const closed = new Promise((r) => server.close(r));
      for (const s of sockets) s.destroy();
      await closed;
      await backend!.close();
      await db.close(); // a clean shutdown leaves the data folder consistent
      rmSync(socketPath, { force: true });
    },
  };
}

function serveConnection(socket: net.Socket, backend: SharedBackend, tooMany: () => boolean) {
  const reader = new FrameReader();
  const session: BackendSession = backend.open({
    write: (bytes) => void (socket.writable && socket.write(bytes)),
    end: () => socket.end(),
  });
  socket.on("error", () => {}); // a client that vanished; "close" follows
  socket.once("close", () => backend.drop(session));
  socket.on("data", (chunk: Buffer) => {
    let frames;
    try {
      frames = reader.push(chunk);
    } catch (err) {
      socket.end(errorResponse("FATAL", "08P01", (err as Error).message));
      return;
    }
    for (const f of frames) {
      if (f.kind === "ssl-request" || f.kind === "gss-request")
        socket.write("N"); // a local socket: no encryption
      else if (f.kind === "cancel-request")
        socket.end(); // one backend runs one statement at a time: nothing to cancel from here
      else if (f.kind === "startup" && tooMany()) socket.end(errorResponse("FATAL", "53300", "sorry, too many clients already"));
      else if (f.kind === "message" && f.type === "X")
        backend.end(session); // never forwarded: it would stop PGlite's only backend
      else backend.send(session, f.bytes);
    }
  });
}

/** Whether something accepts connections on the socket (a running Gatehouse). */
function answers(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.connect(socketPath);
    const done = (ok: boolean) => (probe.destroy(), resolve(ok));
    probe.once("connect", () => done(true));
    probe.once("error", () => done(false));
    probe.setTimeout(2000, () => done(false));
  });
}
