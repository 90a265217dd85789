import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import ssh2, { type Connection, type AuthContext, type PublicKeyAuthContext } from "ssh2";
import type { GatewayDeps } from "../../gateway-deps";
import { authenticate } from "../../../core/identity/authenticate";
import { identityForPublicKey } from "../../../core/identity/ssh-public-keys";
import { AuthError, type Identity } from "../../../core/identity/identity";
import { resolveConnection, type ResolvedConnection } from "../../../core/access/resolve-connection";
import type { SessionContext } from "../../../core/audit/audit-event";
import { auditTextMask } from "../../../core/masking/audit-text-mask";
import { ValueMasker } from "../../../core/masking/value-masker";
import { Recorder } from "../../../core/recordings/recorder";
import { CommandGuard } from "./command-guard";
import { gatewayHostKey } from "../../../core/ssh/host-key";
import { handleSessionChannel } from "./session-channel";
import { audit, type SshSession } from "./ssh-session";
import { connectSshTarget, sshSettingsOf, SshTargetError } from "./ssh-target";

export type SshListener = { port: number; hostKeyFingerprint: string; close: () => Promise<void> };

/** The SSH listener: user name = connection name, password or keyboard-interactive answer = token (see DESIGN.md). */
export async function startSshListener(deps: GatewayDeps): Promise<SshListener> {
  const hostKey = gatewayHostKey(deps.config.secretKey);
  const clients = new Set<Connection>();
  const server = new ssh2.Server({ hostKeys: [hostKey.privateKey], ident: "Gatehouse" }, (client, info) => {
    clients.add(client);
    client.on("close", () => clients.delete(client));
    client.on("error", (err) => deps.log(`ssh: client ${info.ip}: ${err.message}`));
    handleClient(client, info.ip, deps);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(deps.config.ports.ssh, deps.config.bind, () => resolve());
  });
  server.on("error", (err: Error) => deps.log(`ssh: ${err.message}`));
  return {
    port: (server.address() as AddressInfo).port,
    hostKeyFingerprint: hostKey.fingerprint,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const c of clients) c.end();
      }),
  };
}

type Admitted = { identity: Identity; connection: ResolvedConnection | null; authenticatedAt: number };

function handleClient(client: Connection, clientAddr: string, deps: GatewayDeps): void {
  let admitted: Admitted | undefined;
  const denied = (connectionName: string, identity: Identity | null, message: string) =>
    deps.audit.write({ at: new Date(), action: "session.denied", outcome: "denied", protocol: "ssh", clientAddr, connectionName, identityId: identity?.id ?? null, identityName: identity?.name ?? null, groups: identity?.groups ?? null, message });

  const METHODS: Array<"password" | "keyboard-interactive" | "publickey"> = ["publickey", "password", "keyboard-interactive"];
  const check = async (ctx: AuthContext, token: string) => {
    let identity: Identity;
    try {
      identity = await authenticate(token.trim(), deps);
    } catch (err) {
      if (!(err instanceof AuthError)) deps.log(`ssh: authentication error: ${(err as Error).message}`);
      denied(ctx.username, null, err instanceof AuthError ? err.message : "the token could not be checked");
      return ctx.reject(METHODS);
    }
    return admit(ctx, identity);
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
      denied(ctx.username, found.identity, "the public key signature did not verify");
      return ctx.reject(METHODS);
    }
    return admit(ctx, found.identity);
  };

  const admit = async (ctx: AuthContext, identity: Identity) => {
    userOf.set(client, ctx.username);
    const authenticatedAt = Date.now();
    // A valid token for a connection it may not use is let in, to be told why on its terminal.
    const connection = await resolveConnection(deps.db, deps.box, identity, ctx.username)
      .then(async (c) => (c && c.type === "ssh" ? (await deps.policies.ensure(c.id), await deps.masking.ensure(c.id), c) : null))
      .catch((err) => {
        deps.log(`ssh: could not resolve connection: ${(err as Error).message}`);
        return undefined;
      });
    if (connection === undefined) return ctx.reject(METHODS);
    admitted = { identity, connection, authenticatedAt };
    ctx.accept();
  };

  client.on("authentication", (ctx) => {
    if (ctx.method === "password") return void check(ctx, ctx.password);
    if (ctx.method === "publickey") return void checkKey(ctx);
    if (ctx.method === "keyboard-interactive") {
      return ctx.prompt([{ prompt: "Gatehouse token (key or OIDC access token): ", echo: false }], "", "", (answers) => void check(ctx, answers[0] ?? ""));
    }
    ctx.reject(METHODS);
  });

  client.on("ready", () => {
    if (!admitted) return client.end();
    const { identity, connection, authenticatedAt } = admitted;
    if (!connection) {
      const message = `connection "${clientUser(client)}" does not exist, is not an SSH connection, or you are not allowed to use it. Ask an admin to grant one of your groups access to it.`;
      denied(clientUser(client), identity, message);
      return refuseChannels(client, `gatehouse: ${message}`);
    }
    void openSession(client, clientAddr, deps, identity, connection, authenticatedAt).catch((err) => deps.log(`ssh: ${(err as Error).stack}`));
  });
}

const userOf = new WeakMap<Connection, string>();
const clientUser = (c: Connection) => userOf.get(c) ?? "";

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

async function openSession(client: Connection, clientAddr: string, deps: GatewayDeps, identity: Identity, connection: ResolvedConnection, authenticatedAt: number): Promise<void> {
  const sessionId = randomUUID();
  const settings = sshSettingsOf(connection);
  const ctx: SessionContext = { sessionId, identityId: identity.id, identityName: identity.name, groups: identity.groups, connectionName: connection.name, protocol: "ssh", clientAddr };
  // Channels are accepted at once (a request with no listener would be refused) and wait for this:
  // no session record, nothing runs.
  const opened = deps.sessions
    .open({
      id: sessionId, identityId: identity.id, identityName: identity.name, groups: identity.groups, connectionId: connection.id, connectionName: connection.name,
      protocol: "ssh", clientAddr, clientApp: null, clientUser: connection.name, gatewayInstance: deps.config.instance,
    })
    .catch((err) => {
      deps.log(`ssh: could not record session: ${(err as Error).message}`);
      throw new SshTargetError("the gateway cannot record sessions right now; try again shortly");
    });
  const masking = deps.masking.forSession(connection.id, identity.groups);
  const textMask = auditTextMask(masking(), deps.masking.keyFor(connection.id));
  const maskText = textMask ?? ((t: string) => t);
  const live = masking();
  const scanner = live && live.detectors.length ? new ValueMasker(live, deps.masking.keyFor(connection.id)) : null;
  let recorder: Promise<Recorder | null> | undefined;
  const s: SshSession = {
    deps, ctx, maskText, channels: new Set(), bytes: { in: 0, out: 0 },
    scanOutput: scanner ? (text) => scanner.scanText(text) : null,
    guard: new CommandGuard(deps, () => deps.policies.current(connection.id), { name: identity.name, groups: identity.groups }, ctx),
    target: opened.then(() =>
      connectSshTarget(deps.db, connection, (fingerprint) =>
        deps.audit.write({ ...ctx, at: new Date(), action: "ssh.hostkey.pinned", outcome: "ok", message: `first connection: pinned the host key ${fingerprint} of ${settings.host}:${settings.port}` }),
      ),
    ),
    recorder: (size) =>
      (recorder ??= settings.recording
        ? Recorder.start(deps.db, sessionId, { width: size.cols, height: size.rows, title: `${identity.name} @ ${connection.name} (ssh)`, env: { TERM: "xterm-256color" } }, { mask: textMask, log: deps.log }).catch((err) => {
            deps.log(`ssh: could not start the recording of ${sessionId}: ${(err as Error).message}`);
            recorder = undefined; // the next channel tries again
            throw err;
          })
        : Promise.resolve(null)),
  };
  s.target.catch((err) => audit(s, { action: "session.failed", outcome: "error", message: (err as Error).message }));

  client.on("session", (accept) => handleSessionChannel(accept(), s));
  client.on("tcpip", (accept, reject, info) => {
    if (!settings.allowForwarding) {
      audit(s, { action: "ssh.forwarding.refused", outcome: "denied", statement: `${info.destIP}:${info.destPort}`, message: "port forwarding is not allowed on this connection" });
      return reject();
    }
    void s.target.then((t) =>
      t.forwardOut(info.srcIP, info.srcPort, info.destIP, info.destPort, (err, out) => {
        if (err) return reject();
        audit(s, { action: "ssh.forwarding", outcome: "ok", statement: `${info.destIP}:${info.destPort}` });
        const ch = accept();
        ch.pipe(out).pipe(ch);
      }),
    ).catch(() => reject());
  });
  client.on("request", (accept, reject, name) => {
    audit(s, { action: "ssh.forwarding.refused", outcome: "denied", statement: name, message: "remote port forwarding is not allowed through Gatehouse" });
    reject?.();
  });

  const closed = new Promise<void>((resolve) => client.once("close", () => resolve()));
  const recorded = await opened.then(() => true, () => false);
  let endReason = "the client disconnected";
  const untrack = deps.live.add(
    {
      id: sessionId, identityId: identity.id, keyId: identity.keyId, temporaryAccessTo: connection.temporaryAccessUntil !== undefined ? connection.id : undefined,
      kill: (reason) => {
        endReason = reason;
        for (const ch of s.channels) ch.end(`session ended: ${reason}`);
        setTimeout(() => client.end(), 200).unref();
      },
    },
    connection.temporaryAccessUntil !== undefined && (identity.expiresAt === undefined || connection.temporaryAccessUntil < identity.expiresAt) ? connection.temporaryAccessUntil : identity.expiresAt,
    authenticatedAt,
  );
  if (recorded) audit(s, { action: "session.start", outcome: "ok", message: `ssh to ${settings.user}@${settings.host}:${settings.port}` });

  await closed;
  untrack();
  void s.target.then((t) => t.end()).catch(() => {});
  const rec = await recorder;
  await rec?.close();
  const failed = await s.target.then(() => false, () => true);
  if (!recorded) return;
  audit(s, { action: "session.end", outcome: failed ? "error" : "ok", message: endReason });
  await deps.sessions.close(sessionId, { failed, reason: endReason, bytesIn: s.bytes.in, bytesOut: s.bytes.out }).catch((err) => deps.log(`ssh: could not close session ${sessionId}: ${(err as Error).message}`));
}
