import type { Duplex } from "node:stream";
import type { GatewayDeps } from "../../gateway-deps";
import type { ClientSession } from "../../http/client-sessions";
import type { KubernetesRequestFacts } from "../../../core/policy/kubernetes-request";
import type { KubeSettings } from "./kube-sessions";
import type { Upgraded } from "./pod-upgrade";
import type { Recorder } from "../../../core/recordings/recorder";
import { CHANNEL, podFileTransfer, podOutput } from "./pod-output";
import { PodInput } from "./pod-input";
import { serverFrame } from "./ws-frames";
import { CommandGuard } from "../../pipeline/shell-lines/command-guard";
import { TypedInput } from "../../pipeline/shell-lines/typed-input";
import { SecretPrompt } from "../../pipeline/shell-lines/secret-prompt";
import type { PodOutput } from "./pod-output";
import type { StdinSink } from "./pod-input";

const SHELLS = new Set(["sh", "bash", "ash", "dash", "zsh", "ksh", "mksh", "fish"]);

export type ChannelRequest = { kind: "exec" | "attach"; query: Record<string, string[]>; facts: KubernetesRequestFacts };

/**
 * Whether stdin is a person's (or agent's) typing into a shell, whose lines are audited and judged
 * as an SSH shell's are: an attach with stdin, or an exec with stdin of a terminal or a bare shell
 * (`kubectl exec -i pod -- sh`). Other stdin is a command's data (`kubectl cp` sends tar), relayed as is.
 */
function typesIntoShell(r: ChannelRequest): boolean {
  if (r.query.stdin?.[0] !== "true") return false;
  if (r.kind === "attach" || r.query.tty?.[0] === "true") return true;
  const command = r.query.command ?? [];
  return command.length === 1 && SHELLS.has(command[0].split("/").at(-1)!);
}

/** The shared typed-line judge (gateway/pipeline/shell-lines) on a pod's stdin: the gateway's words on stdout in a terminal, else on stderr. */
function typedLines(deps: GatewayDeps, s: ClientSession<KubeSettings>, r: ChannelRequest, input: PodInput, output: PodOutput, socket: Duplex, prompt: SecretPrompt | null): StdinSink {
  const { identity, connection } = s.admission;
  const guard = new CommandGuard(deps, () => deps.policies.current(connection.id), { name: identity.name, groups: identity.groups }, s.scope.ctx);
  const gone = new Promise<string>((resolve) => socket.once("close", () => resolve("the client disconnected")));
  const typed = new TypedInput(
    {
      toShell: (bytes) => input.sendStdin(bytes),
      toTerminal: (text) => output.inject(CHANNEL.stdout, text),
      toStderr: (text) => output.inject(CHANNEL.stderr, text),
      writable: () => socket.writable,
      clientGone: () => gone,
      guard,
      audit: (e) => s.scope.audit({ action: "command", ...e, details: { via: `kubectl ${r.kind}`, namespace: r.facts.namespace, pod: r.facts.name } }),
      atSecretPrompt: () => prompt?.active() ?? false,
    },
    r.query.tty?.[0] === "true",
    "kubectl exec pod -- cmd",
  );
  return { push: (d) => typed.push(d), ended: () => typed.ended() };
}

/**
 * An exec or attach once the API server has switched protocols: both directions read frame by frame
 * (pod-input.ts, pod-output.ts), the pod's output masked, everything recorded, bytes counted; a kill,
 * or an API server that goes away, is told to the client on the error channel, as a kubelet reports
 * a failed command.
 */
export async function relayChannels(deps: GatewayDeps, s: ClientSession<KubeSettings>, r: ChannelRequest, socket: Duplex, head: Buffer, up: Upgraded, recorder: Recorder): Promise<void> {
  const { upSocket, upHead } = up;
  const decoder = { out: new TextDecoder(), err: new TextDecoder(), in: new TextDecoder() };
  let bytesIn = head.length;
  let bytesOut = upHead.length;
  const cut = (why: string) => {
    // What cannot be read (and so not recorded or masked) is not relayed.
    deps.log(`kubernetes: ${r.kind}: ${why}`, "warn");
    socket.destroy();
    upSocket.destroy();
  };
  const toClient = writer(socket, upSocket);
  const toPod = writer(upSocket, socket);
  const transfer = r.kind === "exec" && podFileTransfer(r.query.command ?? []);
  // In a terminal: a line typed at a password prompt is judged but neither audited nor recorded as typed (secret-prompt.ts).
  const prompt = r.query.tty?.[0] === "true" ? new SecretPrompt() : null;
  if (transfer) recorder.output("[gatehouse: kubectl cp from the pod (tar cf -): the archive is not recorded]\r\n");
  const output = podOutput(
    s.masker(),
    s.credential.forms,
    toClient,
    (channel, data) => {
      if (channel === CHANNEL.stdout && !transfer) {
        const text = decoder.out.decode(data, { stream: true });
        prompt?.see(text);
        recorder.output(text);
      } else if (channel === CHANNEL.stderr) recorder.output(decoder.err.decode(data, { stream: true }));
    },
    { transfer },
  );
  const input = new PodInput(toPod, {
    input: (data) => {
      const text = decoder.in.decode(data, { stream: true });
      if (!prompt?.active()) recorder.input(text);
    },
    resize: (w, h) => recorder.resize(w, h),
  });
  if (typesIntoShell(r)) input.judgeStdinWith(typedLines(deps, s, r, input, output, socket, prompt));
  const fromClient = (d: Buffer) => {
    try {
      input.push(d);
    } catch (err) {
      cut((err as Error).message);
    }
  };
  const fromPod = (d: Buffer) => {
    try {
      output.push(d);
    } catch (err) {
      cut((err as Error).message);
    }
  };
  if (head.length) fromClient(head);
  if (upHead.length) fromPod(upHead);
  socket.on("data", (d: Buffer) => ((bytesIn += d.length), fromClient(d)));
  upSocket.on("data", (d: Buffer) => ((bytesOut += d.length), fromPod(d)));
  upSocket.once("end", () => output.flush());
  let ending: string | null = null;
  let wentAway = false;
  up.onEnd((reason) => {
    ending = reason;
    upSocket.destroy();
    tellAndClose("Forbidden", `Gatehouse ended this session: ${reason}`);
  });
  // The client has only ever been sent whole frames (the pod's are re-sent once read), so it can
  // always be told why on the error channel, as a kubelet reports a failed command, then closed.
  const tellAndClose = (reason: string, message: string) => {
    if (!output.closed) {
      output.inject(CHANNEL.error, JSON.stringify({ metadata: {}, status: "Failure", reason, message }));
      toClient(serverFrame(0x8, Buffer.from([0x03, 0xe8])));
    }
    socket.end();
    setTimeout(() => socket.destroy(), 2000).unref();
  };
  // An API server's error is followed by its close, which tells the client.
  upSocket.on("error", () => {});
  socket.on("error", () => upSocket.destroy());
  const closeBoth = () => {
    socket.destroy();
    upSocket.destroy();
  };
  socket.once("close", closeBoth);
  // Ending with a reason, the client's side is closed once it has been told.
  upSocket.once("close", () => {
    if (ending !== null) return;
    output.flush();
    if (!output.closed) wentAway = true;
    tellAndClose("ServiceUnavailable", `the API server closed this ${r.kind} stream before it ended: it went away or dropped the connection`);
  });
  socket.once("close", () =>
    up.audit(wentAway ? "error" : "ok", ending !== null ? `ended by Gatehouse: ${ending}` : wentAway ? "the API server closed the stream before it ended" : null, bytesIn, bytesOut),
  );
}

/** Writes to `to`, pausing `from` while `to` is full (once per fill, however many writes). */
function writer(to: Duplex, from: Duplex): (b: Buffer) => void {
  let waiting = false;
  return (b) => {
    if (!to.writable || to.write(b) || waiting) return;
    waiting = true;
    from.pause();
    to.once("drain", () => {
      waiting = false;
      from.resume();
    });
  };
}
