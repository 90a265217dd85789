import { randomUUID } from "node:crypto";
import net, { type AddressInfo, type Socket } from "node:net";
import { refuseTinyPacketChannels } from "./packet-floor";
import ssh2, { type Connection, type AuthContext, type PublicKeyAuthContext } from "ssh2";
import type { GatewayDeps } from "../../gateway-deps";
import { identityForPublicKey } from "../../../core/identity/ssh-public-keys";
import type { Identity } from "../../../core/identity/identity";
import { admit, auditRefusal, type Admission, type AdmitRequest } from "../../pipeline/admit";
import { openSession, sessionContext, sessionTextMask, type SessionScope } from "../../pipeline/session-scope";
import { ValueMasker } from "../../../core/masking/value-masker";
import type { Recorder } from "../../../core/recordings/recorder";
import { gatewayHostKey } from "../../../core/ssh/host-key";
import { servedBy } from "../../../core/connections/registry";
import { CommandGuard } from "../../pipeline/shell-lines/command-guard";
import { handleSessionChannel } from "./session-channel";
import { type SshSession } from "./ssh-session";
import { RefusalBudget } from "./refusal-budget";
import { connectSshTarget, sshSettingsOf, SshTargetError } from "./ssh-target";

export type SshListener = { port: number; listening: () => boolean; hostKeyFingerprint: string; close: () => Promise<void> };

/** The SSH listener: user name = connection name, password or keyboard-interactive answer = token (see DESIGN.md). */
export async function startSshListener(deps: GatewayDeps): Promise<SshListener> {
  const hostKey = gatewayHostKey(deps.config.secretKey);
  const clients = new Set<Connection>();
  // The TCP side is the gateway's own: ssh2 waits forever for a client that never finishes signing in,
  // and after a protocol error it only half-closes its side, so a client that keeps the socket open
  // would hold it for ever. Each socket is closed at the login grace time unless signed in by then,
  // and at once on a protocol error.
  const sockets = new Map<string, { socket: Socket; grace: NodeJS.Timeout; signedIn: boolean }>();
  const tcp = net.createServer((socket) => {
    const id = `${socket.remoteAddress}:${socket.remotePort}`;
    const grace = setTimeout(() => socket.destroy(), deps.config.sshLoginGraceMs);
    sockets.set(id, { socket, grace, signedIn: false });
    socket.once("close", () => (clearTimeout(grace), sockets.delete(id)));
    // Without Nagle: ssh2 writes each SSH packet on its own, and a packet held back for the peer's
    // ACK stalls an SFTP request/answer exchange (scp through the gateway: 0.60x direct with it, 0.77x without).
    socket.setNoDelay(true);
    server.injectSocket(socket);
  });
  const server = new ssh2.Server({ hostKeys: [hostKey.privateKey], ident: "Gatehouse" }, (client, info) => {
    const own = sockets.get(`${info.ip}:${info.port}`);
    refuseTinyPacketChannels(client);
    clients.add(client);
    client.on("close", () => clients.delete(client));
    client.on("error", (err) => {
      deps.log(`ssh: client ${info.ip}: ${err.message}`);
      own?.socket.destroy();
    });
    client.once("ready", () => {
      if (!own) return;
      clearTimeout(own.grace);
      own.signedIn = true;
    });
    handleClient(client, info.ip, deps);
  });
  await new Promise<void>((resolve, reject) => {
    tcp.once("error", reject);
    tcp.listen(deps.config.ports.ssh, deps.config.bind, () => resolve());
  });
  tcp.on("error", (err: Error) => deps.log(`ssh: ${err.message}`));
  return {
    port: (tcp.address() as AddressInfo).port,
    listening: () => tcp.listening,
    hostKeyFingerprint: hostKey.fingerprint,
    close: () =>
      new Promise<void>((resolve) => {
        tcp.close(() => resolve());
        for (const c of clients) c.end();
        for (const { socket, signedIn } of sockets.values()) if (!signedIn) socket.destroy();
      }),
  };
}

/** What authentication settled: a session to open, or (for a valid credential) the reason every channel is refused. */
type Outcome = { admission: Admission } | { refusal: string };

const METHODS: Array<"password" | "keyboard-interactive" | "publickey"> = ["publickey", "password", "keyboard-interactive"];

function handleClient(client: Connection, clientAddr: string, deps: GatewayDeps): void {
  let outcome: Outcome | undefined;
  const request = (ctx: AuthContext): Omit<AdmitRequest, "credential" | "identity"> => ({
    protocol: "ssh",
    clientAddr,
    connectionName: ctx.username,
    serves: servedBy("ssh"),
    servesLabel: "an SSH",
  });

  const admitWith = async (ctx: AuthContext, proof: { credential: string } | { identity: Identity }) => {
    const admitted = await admit(deps, { ...request(ctx), ...proof });
    if (admitted.ok) {
      outcome = { admission: admitted.admission };
      return ctx.accept();
    }
    // A valid credential for a connection it may not use (or that cannot be served now) is let in, to be told why on its terminal.
    if (admitted.refusal.reason === "forbidden" || admitted.refusal.reason === "unavailable") {
      outcome = { refusal: `${admitted.refusal.message}. ${admitted.refusal.hint ?? ""}`.trim() };
      return ctx.accept();
    }
    ctx.reject(METHODS);
  };

  const checkKey = async (ctx: PublicKeyAuthContext) => {
    const found = await identityForPublicKey(deps.db, ctx.key.data).catch((err) => {
      deps.log(`ssh: public key lookup failed: ${(err as Error).message}`);
      return null;
    });
    if (!found) return ctx.reject(METHODS);
    // Without a signature the client only asks whether the key would do.
    if (!ctx.signature || !ctx.blob) return ctx.accept();
    if (!found.verify(ctx.blob, ctx.signature, ctx.hashAlgo)) {
      auditRefusal(deps, request(ctx), found.identity, "the public key signature did not verify");
      return ctx.reject(METHODS);
    }
    return admitWith(ctx, { identity: found.identity });
  };

  client.on("authentication", (ctx) => {
    if (ctx.method === "password") return void admitWith(ctx, { credential: ctx.password });
    if (ctx.method === "publickey") return void checkKey(ctx);
    if (ctx.method === "keyboard-interactive") {
      // Ends in "Password:" so that automation written for OpenSSH (sshpass, expect scripts) answers it.
      return ctx.prompt([{ prompt: "Gatehouse key or OIDC access token. Password: ", echo: false }], "", "", (answers) => void admitWith(ctx, { credential: answers[0] ?? "" }));
    }
    ctx.reject(METHODS);
  });

  client.on("ready", () => {
    if (!outcome) return client.end();
    if ("refusal" in outcome) return refuseChannels(client, `gatehouse: ${outcome.refusal}`);
    runSession(client, clientAddr, deps, outcome.admission);
  });
}

/** Every channel the client opens gets the message on stderr and exit status 255; then the connection closes. */
function refuseChannels(client: Connection, message: string): void {
  client.on("session", (accept) => {
    const session = accept();
    const refuse = (accept: () => import("ssh2").ServerChannel) => {
      const stream = accept();
      stream.stderr.write(`${message}\r\n`);
      stream.exit(255);
      stream.end();
      setTimeout(() => client.end(), 100);
    };
    session.on("pty", (a) => a?.());
    session.on("env", (a) => a?.());
    session.on("shell", (a) => refuse(a));
    session.on("exec", (a) => refuse(a));
    session.on("subsystem", (a) => refuse(a));
  });
}

function runSession(client: Connection, clientAddr: string, deps: GatewayDeps, admission: Admission): void {
  const { identity, connection } = admission;
  const settings = sshSettingsOf(connection);
  const masking = deps.masking.forSession(connection.id, identity.groups);
  const textMask = sessionTextMask(deps, admission);
  const live = masking();
  const scanner = live && live.detectors.length ? new ValueMasker(live, deps.masking.keyFor(connection.id)) : null;
  const channels: SshSession["channels"] = new Set();
  const ctx = sessionContext(admission, randomUUID(), "ssh", clientAddr);
  // Channels are accepted at once (a request with no listener would be refused) and wait for the
  // session record: no record, nothing runs.
  const scope: Promise<SessionScope> = openSession(deps, admission, {
    id: ctx.sessionId,
    protocol: "ssh",
    clientAddr,
    clientApp: null,
    clientUser: connection.name,
    start: { message: `ssh to ${settings.user}@${settings.host}:${settings.port}` },
    kill: (reason) => {
      for (const ch of channels) ch.end(`session ended: ${reason}`);
      setTimeout(() => client.end(), 200).unref();
    },
  });
  scope.catch((err) => auditRefusal(deps, { protocol: "ssh", clientAddr, connectionName: connection.name }, identity, (err as Error).message, true));
  let recorder: Promise<Recorder | null> | undefined;
  const s: SshSession = {
    deps,
    ctx: ctx,
    maskText: (t: string) => textMask()?.(t) ?? t,
    channels,
    bytes: { in: 0, out: 0 },
    refusals: new RefusalBudget(),
    gone: new Promise<void>((resolve) => client.once("close", () => resolve())),
    scanOutput: scanner ? (text) => scanner.scanText(text) : null,
    guard: new CommandGuard(deps, () => deps.policies.current(connection.id), { name: identity.name, groups: identity.groups }, ctx),
    target: scope.then(
      (sc) =>
        connectSshTarget(deps.db, connection, deps.connectors.dialerFor(connection), (fingerprint) =>
          sc.audit({ action: "ssh.hostkey.pinned", outcome: "ok", message: `first connection: pinned the host key ${fingerprint} of ${settings.host}:${settings.port}` }),
        ),
      (err: Error) => Promise.reject(new SshTargetError(err.message)),
    ),
    recorder: (size) =>
      (recorder ??= settings.recording
        ? scope
            .then((sc) => sc.record({ width: size.cols, height: size.rows, title: `${identity.name} @ ${connection.name} (ssh)`, env: { TERM: "xterm-256color" } }))
            .catch((err) => {
              deps.log(`ssh: could not start the recording: ${(err as Error).message}`);
              recorder = undefined; // the next channel tries again
              throw err;
            })
        : Promise.resolve(null)),
  };
  s.target.catch(
    (err) =>
      void scope.then(
        (sc) => sc.audit({ action: "session.failed", outcome: "error", message: (err as Error).message }),
        () => {},
      ),
  );

  client.on("session", (accept) => handleSessionChannel(accept(), s));
  client.on("tcpip", (accept, reject, info) => {
    if (!settings.allowForwarding) {
      return void refused(s, scope, {
        action: "ssh.forwarding.refused",
        outcome: "denied",
        statement: `${info.destIP}:${info.destPort}`,
        message: "port forwarding is not allowed on this connection",
      }).then(() => reject());
    }
    void s.target
      .then((t) =>
        t.forwardOut(info.srcIP, info.srcPort, info.destIP, info.destPort, (err, out) => {
          if (err) return reject();
          void audited(deps, scope, { action: "ssh.forwarding", outcome: "ok", statement: `${info.destIP}:${info.destPort}` }).then(() => {
            const ch = accept();
            ch.pipe(out).pipe(ch);
          });
        }),
      )
      .catch(() => reject());
  });
  client.on("request", (accept, reject, name) => {
    void refused(s, scope, { action: "ssh.forwarding.refused", outcome: "denied", statement: name, message: "remote port forwarding is not allowed through Gatehouse" }).then(() => reject?.());
  });

  client.once("close", () => {
    void s.target.then((t) => t.end()).catch(() => {});
    void (async () => {
      const failed = await s.target.then(
        () => false,
        () => true,
      );
      const sc = await scope.catch(() => null);
      const suppressed = s.refusals.summary();
      if (suppressed)
        sc?.audit({
          action: "ssh.refusals.suppressed",
          outcome: "denied",
          message: `${suppressed.total} more refused request(s) on this connection were counted, not audited one by one`,
          details: suppressed.byAction,
        });
      await sc?.end({ failed, reason: "the client disconnected", bytesIn: s.bytes.in, bytesOut: s.bytes.out });
    })().catch((err) => deps.log(`ssh: ${(err as Error).stack}`));
  });
}

/** A refusal's event, unless the connection has had its share (see RefusalBudget); the client is answered after, either way. */
const refused = (s: SshSession, scope: Promise<SessionScope>, e: Parameters<SessionScope["audit"]>[0]) => (s.refusals.take(e.action) ? audited(s.deps, scope, e) : Promise.resolve());

/** Writes and journals an event of the connection, resolving once it is on disk: the client is answered after. */
const audited = (deps: GatewayDeps, scope: Promise<SessionScope>, e: Parameters<SessionScope["audit"]>[0]) =>
  scope.then(
    (sc) => {
      sc.audit(e);
      deps.audit.syncPending();
    },
    () => {},
  );
