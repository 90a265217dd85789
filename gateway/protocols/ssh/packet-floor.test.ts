import { describe, expect, it } from "vitest";
import type { AddressInfo } from "node:net";
import ssh2 from "ssh2";
import { floorTargetPackets, MIN_PEER_PACKET } from "./packet-floor";

// A target (an in-process ssh2 server) that confirms every channel with a maximum packet size of 0:
// without the floor, the gateway's first write on the channel loops forever inside ssh2.
describe("[SSH] a target's declared maximum packet size", () => {
  it(`is taken as at least ${MIN_PEER_PACKET} bytes, so writing to its channel ends and the bytes arrive`, async () => {
    const hostKey = ssh2.utils.generateKeyPairSync("ed25519").private;
    const received: Buffer[] = [];
    const server = new ssh2.Server({ hostKeys: [hostKey] }, (conn) => {
      const proto = (conn as unknown as { _protocol: { channelOpenConfirm: (...a: number[]) => void } })._protocol;
      const confirm = proto.channelOpenConfirm.bind(proto);
      proto.channelOpenConfirm = (remote, local, window) => confirm(remote, local, window, 0);
      conn.on("authentication", (ctx) => ctx.accept());
      conn.on("session", (accept) =>
        accept().on("exec", (acceptExec) => {
          const ch = acceptExec();
          ch.on("data", (d: Buffer) => {
            received.push(d);
            if (Buffer.concat(received).length < 10_000) return;
            ch.exit(0);
            ch.end();
          });
        }),
      );
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const client = new ssh2.Client();
    try {
      await new Promise<void>((resolve, reject) => {
        client.once("ready", resolve).once("error", reject);
        client.connect({ host: "127.0.0.1", port: (server.address() as AddressInfo).port, username: "u", password: "p" });
        floorTargetPackets(client);
      });
      const ch = await new Promise<ssh2.ClientChannel>((resolve, reject) => client.exec("cat", (err, c) => (err ? reject(err) : resolve(c))));
      const exited = new Promise((r) => ch.once("exit", r));
      ch.write(Buffer.alloc(10_000, 0x61));
      await exited;
      expect(Buffer.concat(received).equals(Buffer.alloc(10_000, 0x61))).toBe(true);
    } finally {
      client.end();
      server.close();
    }
  });
});
