import { createHash } from "node:crypto";

// What the audit stores beside a statement for its free-text search, instead of indexing the whole
// text per event: the statement's shape (each digit run `0`), stored once per shape and found by its
// trigrams, and the statement's digit runs, short, indexed per event. The migration's SQL functions
// audit_statement_shape, audit_statement_shape_hash and audit_statement_numbers compute the same
// (e2e/audit/shape-search.test.ts holds them equal); server/audit/text-term.ts searches both.
//
// Why a search loses nothing: a text that contains q also contains q with its digit runs each `0` in
// its shape (a digit run of q lies inside one of the text's, which became `0`), and each digit run of
// q inside one of the text's digit runs. Both are necessary conditions; the search still tests the
// text itself, as before.

const DIGITS = /[0-9]+/g;

/** The statement with each run of ASCII digits replaced by a single `0`. */
export const statementShape = (statement: string): string => statement.replace(DIGITS, "0");

/** A text's runs of ASCII digits (what the store keeps of a statement, space-separated, and what a search looks for in it). */
export const digitRuns = (text: string): string[] => text.match(DIGITS) ?? [];

/** The shape's key: the first 64 bits of its UTF-8 sha256, as a signed decimal (Postgres' bigint). */
export const shapeHash = (shape: string): string => createHash("sha256").update(shape, "utf8").digest().readBigInt64BE(0).toString();

const hashes = new Map<string, string>();
const CACHED_SHAPES = 4096;
const CACHED_LENGTH = 2048;

/**
 * A statement's shape, its key and its digit runs (space-separated; null: none), for the store:
 * statementShape and digitRuns in one pass (a unit test holds them equal); the keys of short shapes are remembered (a workload repeats few).
 */
export function shapeOf(statement: string): { shape: string; hash: string; numbers: string | null } {
  let shape = "";
  let numbers: string | null = null;
  let last = 0;
  for (let i = 0; i < statement.length; i++) {
    const c = statement.charCodeAt(i);
    if (c < 48 || c > 57) continue;
    let end = i + 1;
    while (end < statement.length && statement.charCodeAt(end) >= 48 && statement.charCodeAt(end) <= 57) end++;
    shape += statement.slice(last, i) + "0";
    numbers = numbers === null ? statement.slice(i, end) : numbers + " " + statement.slice(i, end);
    last = i = end;
  }
  shape = last === 0 ? statement : shape + statement.slice(last);
  let hash = hashes.get(shape);
  if (hash === undefined) {
    hash = shapeHash(shape);
    if (shape.length <= CACHED_LENGTH) {
      if (hashes.size >= CACHED_SHAPES) hashes.clear();
      hashes.set(shape, hash);
    }
  }
  return { shape, hash, numbers };
}
