import { CHANNEL } from "./pod-output";
import { clientFrame, WsFrameReader } from "./ws-frames";

export type StdinSink = {
  /** What the client typed or sent on stdin, in order. */
  push: (data: Buffer) => void;
  /** Resolves once everything pushed has gone on (judged and written, or refused). */
  ended: () => Promise<void>;
};

/**
 * The client's side of an exec or attach, read frame by frame and re-sent (masked afresh, as a client
 * sends): stdin goes to `stdin` (straight on, or through the typed-line judge of a shell), resizes
 * and the rest straight on; the end of stdin (v5's close of channel 0) and the close frame wait for
 * stdin to be through, so a held line is never overtaken by the end of the input.
 */
export class PodInput {
  private readonly reader = new WsFrameReader();
  private last = -1;
  private stdin: StdinSink;

  constructor(
    private readonly toPod: (b: Buffer) => void,
    private readonly seen: { input: (data: Buffer) => void; resize: (width: number, height: number) => void },
  ) {
    this.stdin = { push: (d) => this.sendStdin(d), ended: async () => {} };
  }

  /** Stdin through a judge instead of straight on. */
  judgeStdinWith(sink: StdinSink): void {
    this.stdin = sink;
  }

  /** Stdin bytes as a frame to the pod (what the judge lets through). */
  sendStdin(data: Buffer | string): void {
    this.toPod(clientFrame(0x2, Buffer.concat([Buffer.from([CHANNEL.stdin]), Buffer.from(data)])));
  }

  /** Bytes from the client as they come. Throws on a frame too large to read. */
  push(d: Buffer): void {
    for (const f of this.reader.push(d)) {
      if (f.opcode === 0x8) {
        void this.stdin.ended().then(() => this.toPod(clientFrame(0x8, f.payload)));
        continue;
      }
      if (f.opcode !== 0 && f.opcode !== 1 && f.opcode !== 2) {
        this.toPod(clientFrame(f.opcode, f.payload));
        continue;
      }
      const channel = f.opcode === 0 ? this.last : f.payload[0];
      const data = f.opcode === 0 ? f.payload : f.payload.subarray(1);
      this.last = channel;
      if (channel === CHANNEL.stdin) {
        this.seen.input(data);
        this.stdin.push(data);
        continue;
      }
      if (channel === CHANNEL.resize) {
        const size = JSON.parse(data.toString("utf8")) as { Width?: number; Height?: number };
        if (size.Width && size.Height) this.seen.resize(size.Width, size.Height);
      }
      const frame = clientFrame(0x2, Buffer.concat([Buffer.from([channel]), data]));
      if (channel === CHANNEL.close && data[0] === CHANNEL.stdin) void this.stdin.ended().then(() => this.toPod(frame));
      else this.toPod(frame);
    }
  }
}
