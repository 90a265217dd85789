import { hkdfSync } from "node:crypto";

/**
 * The key of a connection's deterministic tokens: HKDF-SHA256 of the gateway's secret key, bound
 * to the connection id. Same value, same token within a connection (joins and GROUP BY still
 * work, on every gateway instance that shares the key); tokens of two connections cannot be
 * matched against each other, and none can be reversed without the secret key.
 */
export function maskingKeyFor(secretKey: Buffer, connectionId: string): Buffer {
  return Buffer.from(hkdfSync("sha256", secretKey, Buffer.from("gatehouse-masking"), Buffer.from(`token:${connectionId}`), 32));
}
