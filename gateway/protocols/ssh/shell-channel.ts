import type { ClientChannel, ServerChannel } from "ssh2";
import { closedByClient, fail, openOnTarget, recorderOr, targetOr, track } from "./channel-common";
import { TypedInput } from "../../pipeline/shell-lines/typed-input";
import { SecretPrompt } from "../../pipeline/shell-lines/secret-prompt";
import { audit, bridge, type PtyRequest, type SshSession } from "./ssh-session";

/**
 * An interactive shell on the target, bridged: each line typed is judged when Enter is pressed
 * (best effort, see ShellInput), and a held line waits for its review with the input behind it.
 */
export async function runShell(
  stream: ServerChannel,
  s: SshSession,
  pty: PtyRequest | undefined,
  env: Record<string, string>,
  opened: (t: ClientChannel, resize: (c: number, r: number) => void) => void,
): Promise<void> {
  const untrack = track(stream, s);
  const client = await targetOr(stream, s);
  if (!client) return;
  let t: ClientChannel;
  try {
    t = await openOnTarget((cb) => client.shell(pty ?? false, { env: env as NodeJS.ProcessEnv }, cb));
  } catch (err) {
    return fail(stream, `gatehouse: the target refused a shell: ${(err as Error).message}`, 255);
  }
  const rec = await recorderOr(stream, s, pty);
  if (rec === undefined) return t.close();
  opened(t, (cols, rows) => rec?.resize(cols, rows));
  audit(s, { action: "ssh.shell", outcome: "ok", message: pty ? `terminal ${pty.term ?? ""} ${pty.cols}x${pty.rows}` : "shell without a terminal" });
  const decoder = { in: new TextDecoder(), out: new TextDecoder() };
  // In a terminal: a line typed at a password prompt is judged but neither audited nor recorded as typed.
  const prompt = pty ? new SecretPrompt() : null;
  const typed = new TypedInput(
    {
      toShell: (bytes) => t.write(bytes),
      toTerminal: (text) => stream.write(text),
      toStderr: (text) => stream.stderr.write(text),
      writable: () => stream.writable,
      clientGone: () => closedByClient(stream, s),
      guard: s.guard,
      audit: (e) => audit(s, { action: "command", ...e }),
      atSecretPrompt: () => prompt?.active() ?? false,
    },
    !!pty,
    "ssh host cmd",
  );
  stream.on("data", (data: Buffer) => {
    s.bytes.in += data.length;
    const text = decoder.in.decode(data, { stream: true });
    if (!prompt?.active()) rec?.input(text);
    typed.push(data);
  });
  stream.on("end", () => void typed.ended().then(() => t.end()));
  const output = (b: Buffer) => {
    const text = decoder.out.decode(b, { stream: true });
    prompt?.see(text);
    rec?.output(text);
  };
  await bridge(stream, t, s, { maskOutput: "all", output: rec || prompt ? output : undefined });
  untrack();
}
