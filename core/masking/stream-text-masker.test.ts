import { describe, expect, it } from "vitest";
import { StreamTextMasker } from "./stream-text-masker";

const scan = (t: string) => (t.includes("4111 1111 1111 1111") ? t.replaceAll("4111 1111 1111 1111", "[REDACTED]") : null);

describe("StreamTextMasker", () => {
  it("masks a value split across chunks, keeps other bytes (UTF-8, binary) unchanged", async () => {
    const out: Buffer[] = [];
    const m = new StreamTextMasker(scan, (b) => out.push(b));
    m.push(Buffer.from("héllo card 4111 11"));
    m.push(Buffer.from("11 1111 1111 done\nnext "));
    m.push(Buffer.from([0xff, 0x00, 0xfe]));
    await new Promise((r) => setTimeout(r, 40));
    const all = Buffer.concat(out);
    expect(all.toString("latin1")).toBe(Buffer.concat([Buffer.from("héllo card [REDACTED] done\nnext "), Buffer.from([0xff, 0x00, 0xfe])]).toString("latin1"));
  });

  it("does not hold more than 4 KiB of a line", () => {
    const out: Buffer[] = [];
    const m = new StreamTextMasker(scan, (b) => out.push(b));
    m.push(Buffer.alloc(5000, 0x61));
    expect(Buffer.concat(out).length).toBe(5000);
  });
});
