import { describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { digitRuns, shapeHash, shapeOf, statementShape } from "./statement-shape";

const numbers = (text: string) => digitRuns(text).join(" ") || null;

describe("a statement's shape for the audit's search", () => {
  it("is the text with each digit run `0`, its numbers the runs, its key the sha256's first 64 bits as Postgres' bigint", () => {
    expect(statementShape("select 12 from t3 where a = '4x56' limit 0")).toBe("select 0 from t0 where a = '0x0' limit 0");
    expect(numbers("select 12 from t3 where a = '4x56' limit 0")).toBe("12 3 4 56 0");
    expect(numbers("select x")).toBeNull();
    // Only ASCII digits: other scripts' digits stay (as Postgres' [0-9] leaves them).
    expect(statementShape("select '٣' , ５")).toBe("select '٣' , ５");
    const digest = createHash("sha256").update("select 0", "utf8").digest();
    expect(shapeHash("select 0")).toBe(BigInt.asIntN(64, BigInt(`0x${digest.subarray(0, 8).toString("hex")}`)).toString());
  });

  it("is computed in one pass as the two expressions compute it, on 20,000 random texts", () => {
    const alphabet = ["0", "1", "9", "42", "a", "Z", " ", "'", "é", "٣", "\n", "-", "."];
    for (let n = 0; n < 20_000; n++) {
      const text = Array.from({ length: Math.floor(Math.random() * 16) }, () => alphabet[Math.floor(Math.random() * alphabet.length)]).join("");
      const got = shapeOf(text);
      expect(got, JSON.stringify(text)).toEqual({ shape: statementShape(text), numbers: numbers(text), hash: shapeHash(statementShape(text)) });
    }
  });
});
