import "server-only";
import { createSecretBox, parseSecretKey, type SecretBox } from "../core/crypto/secret-box";
import { loadOrCreateSecretKey } from "../core/config/data-dir";
import { parseConsoleEnv } from "./env";

const cache = globalThis as unknown as { gatehouseSecretBox?: SecretBox; gatehouseSecretKey?: Buffer };

/** The key that seals stored credentials: GATEHOUSE_SECRET_KEY, else the data folder's, as the gateway reads it. */
export function secretKey(): Buffer {
  cache.gatehouseSecretKey ??= process.env.GATEHOUSE_SECRET_KEY ? parseSecretKey(process.env.GATEHOUSE_SECRET_KEY) : loadOrCreateSecretKey(parseConsoleEnv().dataDir);
  return cache.gatehouseSecretKey;
}

export function secretBox(): SecretBox {
  cache.gatehouseSecretBox ??= createSecretBox(secretKey());
  return cache.gatehouseSecretBox;
}
