import { createPrivateKey, createPublicKey, generateKeyPairSync } from "node:crypto";
import { existsSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { RsaKeys } from "./client-login";

/**
 * The RSA key pair MySQL clients encrypt their password to (caching_sha2_password without TLS),
 * made once into the data folder (`mysql-rsa-key.pem`, mode 0600, and `mysql-rsa-public.pem`
 * beside it): every worker and every restart present the same key, so a client can be given the
 * public key file (`mysql --server-public-key-path`, Connector/J's `serverRsaPublicKeyFile`) instead
 * of fetching the key over the unencrypted connection, where a machine in the middle could swap it.
 */
export function loadMysqlRsaKey(dataDir: string): RsaKeys {
  const keyFile = path.join(dataDir, "mysql-rsa-key.pem");
  if (!existsSync(keyFile)) {
    mkdirSync(dataDir, { recursive: true });
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    // Written whole under another name, then linked into place: a process reading it never sees half a
    // key, and of two processes making one at once, the first link wins and both use it.
    const temp = `${keyFile}.${process.pid}.tmp`;
    writeFileSync(temp, privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
    try {
      linkSync(temp, keyFile);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    } finally {
      rmSync(temp, { force: true });
    }
  }
  const privateKey = createPrivateKey(readFileSync(keyFile));
  const publicPem = createPublicKey(privateKey).export({ type: "spki", format: "pem" }).toString();
  const publicFile = path.join(dataDir, "mysql-rsa-public.pem");
  if (!existsSync(publicFile) || readFileSync(publicFile, "utf8") !== publicPem) writeFileSync(publicFile, publicPem);
  return { publicPem, privateKey };
}
