import { constants, privateDecrypt } from "node:crypto";
import type { Packet } from "./packet-codec";
import { authMoreDataPacket, MysqlError } from "./handshake-messages";
import { Err } from "./protocol-constants";
import type { RsaKeys } from "./client-login";

/**
 * The password of caching_sha2_password's full authentication (at login and in COM_CHANGE_USER),
 * from the client's answer to "perform full authentication": over TLS, the password as is. Without
 * TLS, encrypted to the gateway's RSA key (OAEP, XORed with the scramble first): a client that has
 * the key's file (`--server-public-key-path`, `serverRsaPublicKeyFile`) sends it at once; one that
 * has not asks for the key (0x02) and is sent it. `seq`: the id the gateway's next packet goes at.
 * A failure is a MysqlError 1045 carrying `seq`.
 */
export async function readFullAuthPassword(
  answer: Packet,
  x: { tls: boolean; scramble: Buffer; rsa: RsaKeys; send: (payload: Buffer, seq: number) => unknown; next: () => Promise<Packet> },
): Promise<{ password: string; seq: number }> {
  let seq = (answer.lastSeq + 1) & 0xff;
  if (x.tls) return { password: cString(answer.payload), seq };
  if (answer.payload.length === 1 && answer.payload[0] === 0x02) {
    x.send(authMoreDataPacket(Buffer.from(x.rsa.publicPem, "latin1")), seq);
    answer = await x.next();
    seq = (answer.lastSeq + 1) & 0xff;
  } else if (answer.payload.length !== (x.rsa.privateKey.asymmetricKeyDetails?.modulusLength ?? 2048) / 8) {
    throw Object.assign(new MysqlError(Err.AccessDenied, "Access denied: without TLS the password must be sent RSA-encrypted (caching_sha2_password)"), { seq });
  }
  try {
    const plain = privateDecrypt({ key: x.rsa.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING }, answer.payload);
    for (let i = 0; i < plain.length; i++) plain[i] ^= x.scramble[i % x.scramble.length];
    return { password: cString(plain), seq };
  } catch {
    // Encrypted to another key (a stale public key file) reads as this.
    throw Object.assign(
      new MysqlError(Err.AccessDenied, "Access denied: the encrypted password could not be read (if the client was given the server's public key file, it must be the gateway's mysql-rsa-public.pem)"),
      { seq },
    );
  }
}

/** A password as the client sent it: UTF-8 up to its NUL, if any. */
export const cString = (b: Buffer) => {
  const nul = b.indexOf(0);
  return b.toString("utf8", 0, nul < 0 ? b.length : nul);
};
