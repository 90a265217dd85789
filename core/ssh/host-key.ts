import { createHash, createHmac, createPrivateKey, createPublicKey } from "node:crypto";

/**
 * The gateway's SSH host key: an Ed25519 key derived from GATEHOUSE_SECRET_KEY, so every instance
 * sharing that key presents the same host key (clients behind a load balancer see no change) and
 * nothing else needs storing. Written in the OpenSSH private key format by hand because ssh2 reads
 * Ed25519 keys only in that format and Node cannot export it.
 */
export function gatewayHostKey(secretKey: Buffer): { privateKey: string; fingerprint: string } {
  const seed = createHmac("sha256", secretKey).update("gatehouse ssh host key v1").digest();
  const der = Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), seed]);
  const pub = createPublicKey(createPrivateKey({ key: der, format: "der", type: "pkcs8" }))
    .export({ format: "der", type: "spki" })
    .subarray(-32);
  const str = (b: Buffer | string) => {
    const buf = typeof b === "string" ? Buffer.from(b) : b;
    const len = Buffer.alloc(4);
    len.writeUInt32BE(buf.length);
    return Buffer.concat([len, buf]);
  };
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  const publicBlob = Buffer.concat([str("ssh-ed25519"), str(pub)]);
  const check = u32(seed.readUInt32BE(0));
  let priv = Buffer.concat([check, check, str("ssh-ed25519"), str(pub), str(Buffer.concat([seed, pub])), str("gatehouse")]);
  const pad: number[] = [];
  for (let i = 1; (priv.length + pad.length) % 8 !== 0; i++) pad.push(i);
  priv = Buffer.concat([priv, Buffer.from(pad)]);
  const body = Buffer.concat([Buffer.from("openssh-key-v1\0"), str("none"), str("none"), str(""), u32(1), str(publicBlob), str(priv)]);
  const b64 = body.toString("base64").replace(/(.{70})/g, "$1\n");
  return {
    privateKey: `-----BEGIN OPENSSH PRIVATE KEY-----\n${b64.trim()}\n-----END OPENSSH PRIVATE KEY-----\n`,
    fingerprint: sshFingerprint(publicBlob),
  };
}

/** OpenSSH's fingerprint of a public key blob: `SHA256:` and unpadded base64. */
export function sshFingerprint(publicKeyBlob: Buffer): string {
  return "SHA256:" + createHash("sha256").update(publicKeyBlob).digest("base64").replace(/=+$/, "");
}
