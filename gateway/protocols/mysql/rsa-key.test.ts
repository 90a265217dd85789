import { describe, expect, it } from "vitest";
import { constants, privateDecrypt, publicEncrypt } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadMysqlRsaKey } from "./rsa-key";

describe("[MYSQL] the RSA key for caching_sha2_password", () => {
  it("is made once into the data folder and is the same at every load (every worker, every restart)", () => {
    const dir = path.join(mkdtempSync(path.join(tmpdir(), "gatehouse-rsa-")), "data");
    try {
      const first = loadMysqlRsaKey(dir);
      const again = loadMysqlRsaKey(dir);
      expect(again.publicPem).toBe(first.publicPem);
      expect(statSync(path.join(dir, "mysql-rsa-key.pem")).mode & 0o777).toBe(0o600);
      expect(readFileSync(path.join(dir, "mysql-rsa-public.pem"), "utf8")).toBe(first.publicPem);
      // What a client encrypts to the published key, the loaded private key reads.
      const sealed = publicEncrypt({ key: first.publicPem, padding: constants.RSA_PKCS1_OAEP_PADDING }, Buffer.from("ghk_x\0"));
      expect(privateDecrypt({ key: again.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING }, sealed).toString()).toBe("ghk_x\0");
      // A public file that does not match the key is written again from it.
      writeFileSync(path.join(dir, "mysql-rsa-public.pem"), "stale");
      expect(loadMysqlRsaKey(dir).publicPem).toBe(first.publicPem);
      expect(readFileSync(path.join(dir, "mysql-rsa-public.pem"), "utf8")).toBe(first.publicPem);
    } finally {
      rmSync(path.dirname(dir), { recursive: true, force: true });
    }
  });
});
