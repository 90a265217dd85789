// pg-copy-streams ships no types; the one function the audit writer uses.
declare module "pg-copy-streams" {
  import type { Writable } from "node:stream";
  import type { Submittable } from "pg";
  export function from(text: string): Writable & Submittable & { rowCount: number };
}
