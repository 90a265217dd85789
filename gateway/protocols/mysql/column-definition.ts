import { Cursor } from "./packet-codec";

/** What a column definition packet says of a result column: where it comes from and its type. */
export type ColumnDef = { schema: string; table: string; orgTable: string; name: string; orgName: string; type: number };

/** MySQL's JSON column type (MariaDB sends a JSON column as a LONGTEXT; see parseColumnDef). */
export const JSON_TYPE = 0xf5;

/**
 * `extended`: the session has MariaDB's extended metadata (MariadbCap.ExtendedMetadata), a block
 * after the names of (kind, text) pairs. A MariaDB JSON column, a LONGTEXT whose format is "json"
 * there, is given MySQL's JSON type: a masked value in it stays JSON, as the driver parses it.
 */
export function parseColumnDef(payload: Buffer, extended = false): ColumnDef {
  const c = new Cursor(payload);
  c.lenencString(); // catalog, always "def"
  const schema = c.lenencString();
  const table = c.lenencString();
  const orgTable = c.lenencString();
  const name = c.lenencString();
  const orgName = c.lenencString();
  const json = extended && isJsonFormat(c.lenencBytes() ?? Buffer.alloc(0));
  c.lenenc(); // length of the fixed fields (0x0c)
  c.skip(2 + 4); // character set, display length
  const type = c.u8();
  return { schema, table, orgTable, name, orgName, type: json ? JSON_TYPE : type };
}

/** Whether MariaDB's extended metadata says the column's format is JSON (kind 1: format; kind 0: a type name). */
function isJsonFormat(metadata: Buffer): boolean {
  const c = new Cursor(metadata);
  while (c.left > 0) {
    const kind = c.u8();
    if (c.lenencString() === "json" && kind === 1) return true;
  }
  return false;
}

/** Where a column definition's names end: the place of MariaDB's extended metadata block. */
export function columnNamesEnd(payload: Buffer): number {
  const c = new Cursor(payload);
  for (let i = 0; i < 6; i++) c.lenencString();
  return payload.length - c.left;
}
