import tls from "node:tls";
import path from "node:path";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { generate } from "selfsigned";
import type { GatewayConfig } from "./config";

/**
 * The listeners' TLS context: the configured certificate, or a self-signed one generated once into
 * the data folder (clients that verify certificates should be given a real one via GATEHOUSE_TLS_CERT/KEY).
 */
export async function loadTlsContext(config: GatewayConfig): Promise<tls.SecureContext> {
  if (config.tls.certFile && config.tls.keyFile) {
    return tls.createSecureContext({ cert: readFileSync(config.tls.certFile), key: readFileSync(config.tls.keyFile) });
  }
  const certFile = path.join(config.dataDir, "tls-cert.pem");
  const keyFile = path.join(config.dataDir, "tls-key.pem");
  if (!existsSync(certFile) || !existsSync(keyFile)) {
    mkdirSync(config.dataDir, { recursive: true });
    const pems = await generate([{ name: "commonName", value: "gatehouse" }], {
      keySize: 2048,
      days: 825,
      algorithm: "sha256",
      extensions: [
        {
          name: "subjectAltName",
          altNames: [
            { type: 2, value: "localhost" },
            { type: 7, ip: "127.0.0.1" },
          ],
        },
      ],
    } as Parameters<typeof generate>[1]);
    writeFileSync(keyFile, pems.private, { mode: 0o600 });
    writeFileSync(certFile, pems.cert);
  }
  return tls.createSecureContext({ cert: readFileSync(certFile), key: readFileSync(keyFile) });
}
