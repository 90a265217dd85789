import type { ClientChannel, ServerChannel } from "ssh2";
import { closedByClient, fail, openOnTarget, recorderOr, targetOr, track } from "./channel-common";
import { TypedInput } from "../../pipeline/shell-lines/typed-input";
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
  const decoder = new TextDecoder();
  const typed = new TypedInput(
    {
      toShell: (bytes) => t.write(bytes),
      toTerminal: (text) => stream.write(text),
      toStderr: (text) => stream.stderr.write(text),
      writable: () => stream.writable,
      clientGone: () => closedByClient(stream, s),
      guard: s.guard,
      audit: (e) => audit(s, { action: "command", ...e }),
    },
    !!pty,
    "ssh host cmd",
  );
  stream.on("data", (data: Buffer) => {
    s.bytes.in += data.length;
    rec?.input(decoder.decode(data, { stream: true }));
    typed.push(data);
  });
  stream.on("end", () => void typed.ended().then(() => t.end()));
  await bridge(stream, t, s, { maskOutput: "all", output: rec ? (b) => rec.output(decoder.decode(b, { stream: true })) : undefined });
  untrack();
}
