import { redactSecret } from "../../../core/connections/types/http-credential";
import { StreamTextMasker } from "../../../core/masking/stream-text-masker";
import type { ValueMasker } from "../../../core/masking/value-masker";
import { serverFrame, WsFrameReader } from "./ws-frames";

/** The channels of the Kubernetes remote-command WebSocket subprotocols (v5 adds 255: close a channel). */
export const CHANNEL = { stdin: 0, stdout: 1, stderr: 2, error: 3, resize: 4, close: 255 } as const;

export type PodOutput = {
  /** Bytes from the API server, as they come. Throws on a frame too large to read. */
  push: (d: Buffer) => void;
  /** Sends what is held back of unfinished lines. */
  flush: () => void;
  /** A frame of the gateway's own (a refusal on stderr, the reason a session ends), between the pod's frames. */
  inject: (channel: number, data: Buffer | string) => void;
  /** Whether the pod's side has sent its close frame (its stream ended as it should). */
  readonly closed: boolean;
};

/**
 * The pod's side of an exec or attach, read frame by frame: each stdout or stderr payload goes
 * through the connection's detectors (when it has any) with the gateway's credential cut out, line
 * by line, and is re-sent as frames of the same channel (`shown` sees what the client is sent, for
 * the recording); other frames (the error channel, pings, close) are passed on in order after what
 * was held before them. Reading every frame is what lets the gateway put its own frames in between.
 */
export function podOutput(
  masker: ValueMasker | null,
  forms: readonly string[],
  send: (b: Buffer) => void,
  shown: (channel: number, data: Buffer) => void,
  opts: { transfer?: boolean } = {},
): PodOutput {
  const reader = new WsFrameReader();
  const scanWith = (m: ValueMasker | null) => (text: string) => {
    const masked = m?.scanText(text) ?? text;
    const cut = redactSecret(masked, forms);
    return cut === text ? null : cut;
  };
  const scan = scanWith(masker);
  // A file transfer's stdout (`kubectl cp`'s tar: podFileTransfer) is an archive the detectors would corrupt: only the credential is cut from it.
  const scanStdout = opts.transfer ? scanWith(null) : scan;
  const emit = (c: number, b: Buffer) => {
    shown(c, b);
    send(serverFrame(0x2, Buffer.concat([Buffer.from([c]), b])));
  };
  const channels = new Map<number, StreamTextMasker>();
  const channel = (c: number) => {
    let m = channels.get(c);
    if (!m) channels.set(c, (m = new StreamTextMasker(c === CHANNEL.stdout ? scanStdout : scan, (b) => emit(c, b))));
    return m;
  };
  let last = -1;
  let closed = false;
  const flush = () => {
    for (const m of channels.values()) m.flush();
  };
  return {
    push(d) {
      for (const f of reader.push(d)) {
        const data = f.opcode === 1 || f.opcode === 2;
        const ch = data ? f.payload[0] : f.opcode === 0 ? last : -1;
        if (data) last = ch;
        if (ch === CHANNEL.stdout || ch === CHANNEL.stderr) {
          channel(ch).push(data ? f.payload.subarray(1) : f.payload);
          continue;
        }
        flush();
        if (f.opcode === 0x8) closed = true;
        send(serverFrame(f.opcode === 0 ? 0x2 : f.opcode, f.opcode === 0 ? Buffer.concat([Buffer.from([last]), f.payload]) : f.payload));
      }
    },
    flush,
    inject(c, data) {
      flush();
      emit(c, Buffer.from(data));
    },
    get closed() {
      return closed;
    },
  };
}

/**
 * Whether an exec is `kubectl cp` reading from the pod: exactly `tar cf - <path>`, its stdout an
 * archive that masking would corrupt (kubectl then wrote a damaged file and exited 0). Its stdout
 * passes unmasked and unrecorded, as scp's and SFTP's file contents do over SSH; any other form (an
 * option that runs a program, `sh -c`, more paths) is masked as any command.
 */
export function podFileTransfer(command: readonly string[]): boolean {
  return command.length === 4 && command[0] === "tar" && command[1] === "cf" && command[2] === "-" && !command[3].startsWith("-");
}
