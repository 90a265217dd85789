import type { Client, Connection } from "ssh2";

/**
 * The smallest maximum packet size a channel's peer may declare. ssh2 (1.17) slices what it writes
 * on a channel by the peer's declared size and, when that size is 0, never advances: one
 * CHANNEL_OPEN with a maximum packet of 0, then any output on the channel, kept the gateway's process
 * allocating packets until it ran out of memory, ending every session on it. A tiny size (1 byte)
 * makes the gateway send a packet, padding and MAC per byte. Real clients declare 16 KiB to 256 KiB.
 */
export const MIN_PEER_PACKET = 256;

/** Only through these does ssh2 show a channel's sizes before it makes the channel (its message handlers, read at each message). */
type Handlers = {
  _protocol?: {
    _handlers: Record<string, ((p: unknown, info: { sender: number; packetSize: number }) => void) | undefined>;
    channelOpenFail: (recipient: number, reason: number, description: string) => void;
  };
};
const ADMINISTRATIVELY_PROHIBITED = 1;

/** A client's channel open that declares a smaller maximum packet is refused, with the reason, before ssh2 makes a channel of it. */
export function refuseTinyPacketChannels(client: Connection): void {
  const proto = (client as unknown as Handlers)._protocol;
  const open = proto?._handlers.CHANNEL_OPEN;
  if (!proto || !open) throw new Error("ssh2 no longer handles CHANNEL_OPEN where the gateway guards it (see packet-floor.ts)");
  proto._handlers.CHANNEL_OPEN = (p, info) => {
    if (info.packetSize >= MIN_PEER_PACKET) return open(p, info);
    proto.channelOpenFail(info.sender, ADMINISTRATIVELY_PROHIBITED, `gatehouse: a channel's maximum packet size must be at least ${MIN_PEER_PACKET} bytes (this one said ${info.packetSize})`);
  };
}

/**
 * The same for a target's answer to the gateway's channel open (a broken or hostile target must not
 * stop the gateway): a smaller declared size is taken as MIN_PEER_PACKET; a target that cannot take
 * such packets ends that session, not the gateway. Call once the client is connecting (it has its transport).
 */
export function floorTargetPackets(client: Client): void {
  const proto = (client as unknown as Handlers)._protocol;
  const confirm = proto?._handlers.CHANNEL_OPEN_CONFIRMATION;
  if (!proto || !confirm) throw new Error("ssh2 no longer handles CHANNEL_OPEN_CONFIRMATION where the gateway guards it (see packet-floor.ts)");
  proto._handlers.CHANNEL_OPEN_CONFIRMATION = (p, info) => confirm(p, info.packetSize >= MIN_PEER_PACKET ? info : { ...info, packetSize: MIN_PEER_PACKET });
}
