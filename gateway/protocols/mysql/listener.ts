import net from "node:net";
import type tls from "node:tls";
import type { Duplex } from "node:stream";
import type { GatewayDeps } from "../../gateway-deps";
import { admit, auditRefusal, type Refusal } from "../../pipeline/admit";
import { openSession, SessionUnrecordedError, type SessionScope } from "../../pipeline/session-scope";
import { auditOverrun, holdForBudget } from "../../pipeline/budget-hold";
import { holdForReview } from "../../pipeline/hold";
import { decideAccepted, requestFingerprint } from "../../pipeline/accepted-reviews";
import { connectionTypeOf, servedBy } from "../../../core/connections/registry";
import { clientLogin, type ClientLogin, type RsaKeys } from "./client-login";
import { framePacket, PacketError } from "./packet-codec";
import { okPacketStatus } from "./response-reader";
import { MysqlError } from "./handshake-messages";
import { Err, MariadbCap } from "./protocol-constants";
import { loginToTarget, TargetLoginError, type TargetSession } from "./target-login";
import { TargetGreetings } from "./target-greetings";
import { MysqlStatementGuard } from "./statement-guard";
import { maskedCopyRefusal, maskedWriteRefusal, maskedWriteTable, mayCopy, mayWriteMasked } from "./masked-writes";
import { mysqlLineage } from "../../../core/sql/mysql-columns";
import { MysqlRelay } from "./relay";
import { auditCommand } from "./statement-audit";
import { ThreadRegistry } from "./thread-registry";
import { killTargetThread, RemoteKills } from "./remote-kill";
import type { Bus } from "../../../core/bus/event-bus";
import { versionNumber } from "../../../core/sql/mysql-lexer";
import { ViewCatalogs } from "./view-catalog";
import { catalogLogin } from "./catalog-connection";
import { localInfileRefusal } from "./local-infile";
import { compressedClient } from "./compressed-stream";

export type MysqlListener = { port: number; listening: () => boolean; close: () => Promise<void> };

/** The MySQL listener: user name = connection name, password = token (caching_sha2_password full authentication). */
export async function startMysqlListener(deps: GatewayDeps, bus: Bus, secureContext: tls.SecureContext, rsa: RsaKeys): Promise<MysqlListener> {
  const greetings = new TargetGreetings(deps.db, deps.connectors);
  const threads = new ThreadRegistry();
  const remoteKills = new RemoteKills(deps.db, deps.config.instance, threads);
  remoteKills.subscribe(bus);
  // The targets' views, for tracing result columns to the base columns they read (masking).
  const views = new ViewCatalogs((m) => deps.log(m, "error"));
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    socket.on("error", () => {});
    handleClient(socket, deps, { secureContext, rsa, greetings, threads, remoteKills, views, connectionId: threads.newId() }).catch((err) => {
      deps.log(`mysql: unexpected error: ${(err as Error).stack ?? err}`, "error");
      socket.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(deps.config.ports.mysql, deps.config.bind, () => resolve());
  });
  const close = () => new Promise<void>((resolve) => server.close(() => resolve())).finally(() => views.close());
  return { port: (server.address() as net.AddressInfo).port, listening: () => server.listening, close };
}

/** The pipeline's refusals as MySQL renders them: an unknown and an ungranted connection read alike (1045). */
export function refusalError(r: Refusal): MysqlError {
  switch (r.reason) {
    case "unauthenticated":
      return new MysqlError(Err.AccessDenied, `Access denied: Gatehouse authentication failed: ${r.message}`);
    case "forbidden":
      return new MysqlError(Err.AccessDenied, `Access denied: ${r.message}${r.hint ? `. ${r.hint}` : ""}`);
    case "auth-unavailable":
      return new MysqlError(Err.Unavailable, `Gatehouse authentication failed: ${r.message}`);
    case "unavailable":
      return new MysqlError(Err.Unavailable, r.message);
  }
}

/** ER_BAD_DB_ERROR, ER_DBACCESS_DENIED_ERROR: the target's answer to the database the client named. */
const CLIENT_DATABASE_ERRORS = new Set([1049, 1044]);

function refuse(socket: Duplex, error: MysqlError, seq: number): void {
  if (socket.writable) socket.end(framePacket(error.toPayload(), seq).bytes);
  setTimeout(() => socket.destroy(), 1000).unref();
}

type ListenerState = {
  secureContext: tls.SecureContext;
  rsa: RsaKeys;
  greetings: TargetGreetings;
  threads: ThreadRegistry;
  remoteKills: RemoteKills;
  views: ViewCatalogs;
  connectionId: number;
};

async function handleClient(raw: net.Socket, deps: GatewayDeps, st: ListenerState): Promise<void> {
  const clientAddr = raw.remoteAddress ?? null;
  const facts = await st.greetings.current().catch(() => null);
  if (!facts) return refuse(raw, new MysqlError(Err.Unavailable, "Gatehouse cannot reach any MySQL target right now; try again shortly"), 0);
  let login: ClientLogin;
  try {
    login = await clientLogin(raw, {
      target: { ...facts, connectionId: st.connectionId },
      secureContext: st.secureContext,
      requireTls: deps.config.tls.required,
      rsa: st.rsa,
      maxPacketBytes: deps.config.maxMessageBytes,
    });
  } catch (err) {
    // Garbage, a timeout or a client that went away: a protocol error for this client only.
    if (err instanceof MysqlError) refuse(raw, err, (err as MysqlError & { seq?: number }).seq ?? 2);
    else if (err instanceof PacketError || err instanceof RangeError) refuse(raw, new MysqlError(Err.Handshake, "Bad handshake"), 1);
    else raw.destroy();
    return;
  }
  const client = login.channel.socket;
  const connectionName = login.user;
  const admitted = await admit(deps, { protocol: "mysql", clientAddr, connectionName, credential: login.password, serves: servedBy("mysql"), servesLabel: "a MySQL" });
  if (!admitted.ok) return refuse(client, refusalError(admitted.refusal), login.seq);
  const { identity, connection } = admitted.admission;
  const settings = connectionTypeOf("mysql").parseSettings(connection);

  let target: TargetSession;
  const dial = deps.connectors.dialerFor(connection);
  const targetAccount = { ...settings, password: connection.secret.password };
  try {
    target = await loginToTarget(dial, targetAccount, login, settings.allowLocalInfile);
  } catch (err) {
    const byTarget = err instanceof TargetLoginError && err.refusedBy === "target";
    const refused = byTarget ? err.targetError : undefined;
    const why = byTarget ? `the target refused the gateway's login: ${err.message}` : `the target is unreachable: ${(err as Error).message}`;
    const message = `connection "${connection.name}" is unavailable: ${why}`;
    auditRefusal(deps, { protocol: "mysql", clientAddr, connectionName }, identity, message, true);
    // The database the client asked for (unknown, or not the account's): the target's own error, as a direct login gets it.
    if (refused && CLIENT_DATABASE_ERRORS.has(refused.code)) return refuse(client, new MysqlError(refused, refused.message), login.seq);
    return refuse(client, new MysqlError(Err.Unavailable, message), login.seq);
  }
  st.greetings.learn(target.greeting);

  let relay: MysqlRelay | undefined;
  let killedEarly: string | undefined;
  let session: SessionScope;
  try {
    session = await openSession(deps, admitted.admission, {
      protocol: "mysql",
      clientAddr,
      clientApp: login.programName,
      clientUser: login.user,
      countsResults: true,
      start: { message: login.programName ? `application ${login.programName}${login.tls ? " over TLS" : ""}` : null },
      kill: (reason) => {
        if (relay) relay.kill(reason);
        else killedEarly = reason;
      },
    });
  } catch (err) {
    target.socket.destroy();
    const message = err instanceof SessionUnrecordedError ? err.message : "the gateway could not open this session; try again shortly";
    return refuse(client, new MysqlError(Err.Unavailable, message), login.seq);
  }

  // The target's own OK (its status flags: autocommit, session state) is the client's.
  client.write(framePacket(target.ok, login.seq).bytes);
  let clientLeftover = login.channel.release();
  // From the first command on, a client that asked for compression sends and gets compressed frames.
  const compressed = login.compress ? compressedClient(client, clientLeftover, deps.config.maxMessageBytes, (why) => relay?.unreadableInput(why)) : null;
  if (compressed) clientLeftover = Buffer.alloc(0);
  const masking = deps.masking.forSession(connection.id, identity.groups);
  const maskingKey = deps.masking.keyFor(connection.id);
  const serverVersion = versionNumber(target.greeting.serverVersion);
  // Read with the connection's own account, dialled as this session was (directly or through its connector).
  const views = st.views.for(connection.id, catalogLogin(dial, targetAccount));
  // Tables no rule covers that this session gave masked-looking values (staging tables: see maskedWriteRefusal).
  const staged = new Set<string>();
  const guard = new MysqlStatementGuard(() => deps.policies.current(connection.id), { name: identity.name, groups: identity.groups }, serverVersion, login.database ?? settings.database, views);
  relay = new MysqlRelay(
    compressed?.stream ?? client,
    target.socket,
    target.capabilities,
    {
      guard,
      requestReview: (need, text) => holdForReview(deps, session.ctx, need, { statement: text }),
      answerHeldAtOnce: login.respondAsync
        ? (need, text) =>
            decideAccepted(deps, session.ctx, need, {
              statement: text,
              fingerprint: requestFingerprint({ identityName: identity.name, connectionName: connection.name, method: "mysql", target: text, body: null }),
            })
        : undefined,
      masking,
      maskingKey,
      views,
      audit: (record) => {
        views.afterStatement(record.text, serverVersion);
        auditCommand(session, record, session.textMask(), serverVersion);
      },
      syncAudit: () => deps.audit.syncPending(),
      changeUser: {
        tls: login.tls,
        rsa: st.rsa,
        check: async (user, password) => {
          if (user !== connection.name) return new MysqlError(Err.AccessDenied, "Access denied: COM_CHANGE_USER signs in again to the same connection only; open a new connection for another");
          const again = await admit(deps, { protocol: "mysql", clientAddr, connectionName: user, credential: password, serves: servedBy("mysql"), servesLabel: "a MySQL" });
          if (!again.ok) return refusalError(again.refusal);
          const same = again.admission.identity.id === identity.id && again.admission.identity.name === identity.name;
          if (same) guard.forgetDatabase(); // the new sign-in may select another database
          return same ? null : new MysqlError(Err.AccessDenied, "Access denied: COM_CHANGE_USER may not change who is signed in; open a new connection");
        },
      },
      maskedWrite: (text) => {
        const m = masking();
        if (!m || m.columns.length === 0) return null;
        const writes = mayWriteMasked(text, staged);
        const copies = mayCopy(m, text);
        if (!writes && !copies) return null;
        // A write or a copy may reach a masked column through a view or a stored function: the views it names (and the stored functions) are looked up first.
        const check = () => maskedWriteRefusal(m, text, serverVersion, views, staged) ?? (copies ? maskedCopyRefusal(m, text, views, serverVersion) : null);
        const loading = views.ensureFor(mysqlLineage(text), { writes: true });
        return loading ? loading.then(check) : check();
      },
      maskedWriteTable: (text) => {
        const m = masking();
        return m && m.columns.length > 0 ? maskedWriteTable(m, text, serverVersion, views) : null;
      },
      localInfileRefusal: settings.allowLocalInfile ? null : localInfileRefusal(connection.name),
      targetStatus: okPacketStatus(target.ok),
      extendedMetadata: { target: (target.mariadbCapabilities & MariadbCap.ExtendedMetadata) !== 0, client: (login.mariadbCapabilities & MariadbCap.ExtendedMetadata) !== 0 },
      mapKill: (text, prepared) => {
        const who = { connectionId: connection.id, identityId: identity.id ?? identity.name };
        return st.threads.mapKill(text, who, (id, query) => st.remoteKills.ask(id, query, who), prepared);
      },
      budget: session.budget,
      budgetHold: (overrun, statement) => holdForBudget(deps, session.ctx, overrun, statement),
      auditOverrun: (overrun, statement) => auditOverrun(session.audit, overrun, statement),
      maxPacketBytes: deps.config.maxMessageBytes,
      compressed: compressed && { answering: compressed.answering },
      clientCollation: login.charset,
      buffers: deps.buffers.account(),
      messageTimeoutMs: deps.config.messageTimeoutMs,
      log: (m) => deps.log(m, "error"),
    },
    { client: clientLeftover, target: target.leftover },
  );
  if (killedEarly !== undefined) relay.kill(killedEarly);
  const running = relay;
  const untrack = st.threads.add(st.connectionId, {
    connectionId: connection.id,
    identityId: identity.id ?? identity.name,
    targetThread: target.greeting.connectionId,
    withdrawHeld: () => running.withdrawHeld(),
    killOnTarget: (query) => killTargetThread(dial, targetAccount, target.greeting.connectionId, query),
  });
  const end = await relay.done;
  untrack();
  await session.end(end);
}
