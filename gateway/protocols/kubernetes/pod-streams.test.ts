import { describe, expect, it } from "vitest";
import { PodInput } from "./pod-input";
import { CHANNEL, podFileTransfer, podOutput } from "./pod-output";
import { clientFrame, serverFrame, WsFrameReader } from "./ws-frames";

const frame = (channel: number, text: string, make = clientFrame) => make(0x2, Buffer.concat([Buffer.from([channel]), Buffer.from(text)]));
const read = (bytes: Buffer[]) => new WsFrameReader().push(Buffer.concat(bytes)).map((f) => (f.opcode === 2 ? `${f.payload[0]}:${f.payload.subarray(1).toString()}` : `op${f.opcode}`));
const cuts = (stream: Buffer, size: number) => Array.from({ length: Math.ceil(stream.length / size) }, (_, i) => stream.subarray(i * size, (i + 1) * size));

describe("PodInput reads the client's frames of an exec or attach whatever the packets cut", () => {
  for (const size of [1, 2, 5, 1000]) {
    it(`cut every ${size} bytes: stdin, resizes and the end of stdin reach the pod in order, re-masked; seen for the recording`, async () => {
      const stream = Buffer.concat([
        frame(CHANNEL.resize, '{"Width":90,"Height":30}'),
        frame(CHANNEL.stdin, "ls -l\r"),
        frame(CHANNEL.stdin, "exit\r"),
        clientFrame(0x2, Buffer.from([CHANNEL.close, CHANNEL.stdin])),
      ]);
      const sent: Buffer[] = [];
      const typed: string[] = [];
      const sizes: string[] = [];
      const input = new PodInput((b) => sent.push(b), { input: (d) => typed.push(d.toString()), resize: (w, h) => sizes.push(`${w}x${h}`) });
      for (const part of cuts(stream, size)) input.push(part);
      await new Promise((r) => setImmediate(r));
      expect(read(sent)).toEqual(['4:{"Width":90,"Height":30}', "0:ls -l\r", "0:exit\r", `255:${String.fromCharCode(0)}`]);
      expect(sent.every((b) => (b[1] & 0x80) === 0x80)).toBe(true);
      expect(typed.join("")).toBe("ls -l\rexit\r");
      expect(sizes).toEqual(["90x30"]);
    });
  }

  it("stdin through a judge: the end of stdin and the close wait until the judge is through", async () => {
    const sent: Buffer[] = [];
    const input = new PodInput((b) => sent.push(b), { input: () => {}, resize: () => {} });
    let release!: () => void;
    const through = new Promise<void>((r) => (release = r));
    input.judgeStdinWith({ push: (d) => void through.then(() => input.sendStdin(d)), ended: () => through });
    input.push(Buffer.concat([frame(CHANNEL.stdin, "held line\n"), clientFrame(0x2, Buffer.from([CHANNEL.close, CHANNEL.stdin])), clientFrame(0x8, Buffer.from([0x03, 0xe8]))]));
    await new Promise((r) => setImmediate(r));
    expect(sent).toEqual([]);
    release();
    await new Promise((r) => setImmediate(r));
    expect(read(sent)).toEqual(["0:held line\n", `255:${String.fromCharCode(0)}`, "op8"]);
  });
});

describe("podOutput re-sends the pod's frames, masked, with the gateway's own between them", () => {
  const masker = { scanText: (t: string) => (t.includes("secret") ? t.replaceAll("secret", "[MASKED]") : null) } as never;

  for (const size of [1, 2, 5, 1000]) {
    it(`cut every ${size} bytes: stdout and stderr masked line by line, the error channel and close in order`, () => {
      const stream = Buffer.concat([
        frame(CHANNEL.stdout, "a secret here\nand ", serverFrame),
        frame(CHANNEL.stdout, "more\n", serverFrame),
        frame(CHANNEL.stderr, "err secret\n", serverFrame),
        frame(CHANNEL.error, '{"status":"Success"}', serverFrame),
        serverFrame(0x8, Buffer.from([0x03, 0xe8])),
      ]);
      const sent: Buffer[] = [];
      const shown: string[] = [];
      const out = podOutput(
        masker,
        ["gateway-token"],
        (b) => sent.push(b),
        (c, d) => shown.push(`${c}:${d.toString()}`),
      );
      for (const part of cuts(stream, size)) out.push(part);
      const got = read(sent);
      expect(got.join("")).not.toContain("secret");
      expect(
        got
          .filter((g) => g.startsWith("1:"))
          .join("|")
          .replaceAll("|1:", ""),
      ).toBe("1:a [MASKED] here\nand more\n");
      expect(got.slice(-2)).toEqual(['3:{"status":"Success"}', "op8"]);
      expect(got).toContain("2:err [MASKED]\n");
      expect(out.closed).toBe(true);
      expect(shown.join("")).not.toContain("secret");
    });
  }

  it("cuts the gateway's credential out of what the pod prints, and puts the gateway's words between whole frames", () => {
    const sent: Buffer[] = [];
    const out = podOutput(
      null,
      ["gateway-token"],
      (b) => sent.push(b),
      () => {},
    );
    out.push(frame(CHANNEL.stdout, "token=gateway-token\n", serverFrame));
    out.push(frame(CHANNEL.stdout, "$ ", serverFrame).subarray(0, 3));
    out.inject(CHANNEL.stderr, "gatehouse: denied\n");
    expect(read(sent)).toEqual(["1:token=[REDACTED:credential]\n", "2:gatehouse: denied\n"]);
    expect(out.closed).toBe(false);
  });
});

describe("podFileTransfer", () => {
  it("is kubectl cp's `tar cf - <path>` exactly", () => {
    expect(podFileTransfer(["tar", "cf", "-", "/data/file.csv"])).toBe(true);
    for (const c of [
      ["tar", "cf", "-", "--use-compress-program=sh", "/x"],
      ["tar", "cf", "-", "--to-stdout"],
      ["sh", "-c", "tar cf - /x | tail -c+5"],
      ["tar", "cf", "-", "/x", "/y"],
      ["cat", "/x"],
      [],
    ])
      expect(podFileTransfer(c), c.join(" ")).toBe(false);
  });
});
