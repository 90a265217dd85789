import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { readChangeUser } from "./change-user";
import { Cap, Com } from "./protocol-constants";
import type { Packet } from "./packet-codec";

const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const rsa = { privateKey, publicPem: publicKey.export({ type: "spki", format: "pem" }).toString() };

/** A COM_CHANGE_USER as a client with pluggable authentication writes it: user, answer, database, charset, plugin. */
function changeUser(answer: Buffer, plugin: string): Packet {
  const payload = Buffer.concat([
    Buffer.from([Com.ChangeUser]),
    Buffer.from("shop-db\0"),
    Buffer.from([answer.length]),
    answer,
    Buffer.from("shop\0"),
    Buffer.from([45, 0]),
    Buffer.from(`${plugin}\0`),
  ]);
  return { seq: 0, lastSeq: 0, payload, raw: null };
}

describe("[MYSQL][CHANGE USER] the key inside COM_CHANGE_USER", () => {
  const capabilities = Cap.SecureConnection | Cap.PluginAuth | Cap.Protocol41;

  it("takes an answer in mysql_clear_password as the key (the fallback a client flag chooses), without switching plugins", async () => {
    const sent: Buffer[] = [];
    const r = await readChangeUser(changeUser(Buffer.from("ghk_the-key\0"), "mysql_clear_password"), {
      capabilities,
      tls: true,
      rsa,
      send: (p) => sent.push(p),
      next: () => Promise.reject(new Error("nothing more is read")),
    });
    expect(r).toEqual({ user: "shop-db", database: "shop", password: "ghk_the-key", seq: 1 });
    expect(sent).toEqual([]);
  });

  it("switches any other plugin's answer to caching_sha2_password and reads the key from full authentication", async () => {
    const sent: Buffer[] = [];
    const answers: Packet[] = [
      { seq: 2, lastSeq: 2, payload: Buffer.alloc(32, 1), raw: null }, // the scramble answer, unused
      { seq: 4, lastSeq: 4, payload: Buffer.from("ghk_the-key\0"), raw: null }, // over TLS: the key as is
    ];
    const r = await readChangeUser(changeUser(Buffer.alloc(20, 7), "mysql_native_password"), {
      capabilities,
      tls: true,
      rsa,
      send: (p) => sent.push(p),
      next: async () => answers.shift()!,
    });
    expect(r).toEqual({ user: "shop-db", database: "shop", password: "ghk_the-key", seq: 5 });
    expect(sent[0][0]).toBe(0xfe); // AuthSwitchRequest
    expect(sent[0].subarray(1, 22).toString()).toBe("caching_sha2_password");
  });
});
