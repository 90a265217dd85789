import { afterEach, describe, expect, it } from "vitest";
import net from "node:net";
import { once } from "node:events";
import WebSocket, { WebSocketServer } from "ws";
import { frame, FrameType, Mux, WINDOW, type MuxStream } from "./mux";

// Two real WebSockets on loopback: the gateway's Mux on one end, a connector's on the other.
const closers: Array<() => void> = [];
afterEach(() => closers.splice(0).forEach((c) => c()));

async function pair(): Promise<{ gateway: Mux; connector: Mux; raw: WebSocket }> {
  const wss = new WebSocketServer({ port: 0, host: "127.0.0.1" });
  await once(wss, "listening");
  const accepted = once(wss, "connection");
  const raw = new WebSocket(`ws://127.0.0.1:${(wss.address() as net.AddressInfo).port}`);
  await once(raw, "open");
  const [serverSide] = (await accepted) as [WebSocket];
  closers.push(() => (raw.terminate(), wss.close()));
  return { gateway: new Mux(serverSide, "gateway"), connector: new Mux(raw, "connector"), raw };
}

/** The connector end answers every open with an echo of what it reads (or refuses with `refuse`). */
function echoing(connector: Mux, refuse?: string): MuxStream[] {
  const opened: MuxStream[] = [];
  connector.on("open", (s: MuxStream) => {
    if (refuse) return connector.refuse(s, refuse);
    opened.push(s);
    connector.accept(s);
    s.pipe(s);
  });
  return opened;
}

describe("connector mux", () => {
  it("carries bytes both ways and ends cleanly", async () => {
    const { gateway, connector } = await pair();
    echoing(connector);
    const s = await gateway.open({ host: "db", port: 5432, connection: "c" });
    const chunks: Buffer[] = [];
    s.on("data", (d: Buffer) => chunks.push(d));
    const big = Buffer.alloc(3 * WINDOW + 17, 7);
    s.end(big);
    await once(s, "end");
    expect(Buffer.concat(chunks).equals(big)).toBe(true);
  });

  it("a refused open rejects with the connector's reason", async () => {
    const { gateway, connector } = await pair();
    echoing(connector, "the connector cannot reach db:5432: connection refused");
    await expect(gateway.open({ host: "db", port: 5432, connection: "c" })).rejects.toThrow(/connection refused/);
  });

  it("a reader that stops holds its sender at one window, while another stream moves", async () => {
    const { gateway, connector } = await pair();
    const opened = echoing(connector);
    connector.removeAllListeners("open");
    connector.on("open", (s: MuxStream) => (opened.push(s), connector.accept(s)));
    const slow = await gateway.open({ host: "a", port: 1, connection: "c" });
    const fast = await gateway.open({ host: "b", port: 2, connection: "c" });
    // The connector's end of `slow` is never read: writes beyond one window wait for credit.
    let accepted = 0;
    const chunk = Buffer.alloc(16 * 1024);
    while (slow.write(chunk)) accepted += chunk.length;
    await new Promise((r) => setTimeout(r, 200));
    expect(opened[0].readableLength).toBeLessThanOrEqual(WINDOW);
    opened[1].pipe(opened[1]);
    const echoed = once(fast, "data");
    fast.write("ping");
    expect(String((await echoed)[0])).toBe("ping");
    // Reading the slow one releases credit and the rest flows.
    let got = 0;
    opened[0].on("data", (d: Buffer) => (got += d.length));
    await new Promise((r) => setTimeout(r, 200));
    expect(got).toBeGreaterThan(accepted - WINDOW);
  });

  it("closing the link fails every stream with the reason", async () => {
    const { gateway, connector } = await pair();
    echoing(connector);
    const s = await gateway.open({ host: "db", port: 1, connection: "c" });
    const failed = once(s, "error");
    connector.close("the connector is stopping");
    const [err] = (await failed) as [Error];
    expect(err.message).toMatch(/the connector link was lost/);
  });

  it("a peer's malformed or forbidden frames close its link, not the process", async () => {
    for (const bad of [Buffer.from([1, 2]), frame(99 as never, 1), frame(FrameType.Open, 5, "{}"), frame(FrameType.Credit, 1, Buffer.alloc(3))]) {
      const { gateway, raw } = await pair();
      const closed = once(gateway, "close");
      raw.send(bad, { binary: true });
      const [reason] = (await closed) as [string];
      expect(reason).toMatch(/shorter|unknown frame|may not open|wrong size/);
    }
    const { gateway, raw } = await pair();
    const closed = once(gateway, "close");
    raw.send("text");
    expect(((await closed) as [string])[0]).toMatch(/text frame/);
  });

  it("a peer that sends past its window has that stream reset, the link kept", async () => {
    const { gateway, connector, raw } = await pair();
    connector.on("open", (s: MuxStream) => connector.accept(s));
    const s = await gateway.open({ host: "db", port: 1, connection: "c" });
    s.pause();
    const failed = once(s, "error");
    for (let i = 0; i <= WINDOW / 32768; i++) raw.send(frame(FrameType.Data, 1, Buffer.alloc(32768)), { binary: true });
    expect(((await failed) as [Error])[0].message).toMatch(/flow-control window/);
    expect(gateway.isClosed).toBe(false);
  });

  it("random frames from a peer (seeded) never throw, and never make the gateway hold streams it did not open", async () => {
    const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000);
    let x = seed;
    const rand = (n: number) => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0), x % n);
    for (let round = 0; round < 20; round++) {
      const { gateway, connector, raw } = await pair();
      echoing(connector);
      await gateway.open({ host: "db", port: 1, connection: "c" });
      const stop = new Promise((r) => gateway.once("close", r));
      for (let i = 0; i < 50 && !gateway.isClosed; i++) {
        const type = rand(12);
        const body = Buffer.alloc(rand(64), rand(256));
        raw.send(rand(10) === 0 ? body : frame(type as never, rand(4), body), { binary: true });
      }
      await Promise.race([stop, new Promise((r) => setTimeout(r, 50))]);
      // Whatever came, the gateway holds no stream it did not open itself.
      expect(gateway.isClosed || gateway.openStreams <= 1, `seed ${seed}`).toBe(true);
    }
  });
});
