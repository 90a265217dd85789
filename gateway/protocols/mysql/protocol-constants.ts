/** Capability flags (the handshake's 32-bit field). */
export const Cap = {
  LongPassword: 1 << 0,
  FoundRows: 1 << 1,
  LongFlag: 1 << 2,
  ConnectWithDb: 1 << 3,
  NoSchema: 1 << 4,
  Compress: 1 << 5,
  Odbc: 1 << 6,
  LocalFiles: 1 << 7,
  IgnoreSpace: 1 << 8,
  Protocol41: 1 << 9,
  Interactive: 1 << 10,
  Ssl: 1 << 11,
  IgnoreSigpipe: 1 << 12,
  Transactions: 1 << 13,
  Reserved: 1 << 14,
  SecureConnection: 1 << 15,
  MultiStatements: 1 << 16,
  MultiResults: 1 << 17,
  PsMultiResults: 1 << 18,
  PluginAuth: 1 << 19,
  ConnectAttrs: 1 << 20,
  PluginAuthLenencData: 1 << 21,
  CanHandleExpiredPasswords: 1 << 22,
  SessionTrack: 1 << 23,
  DeprecateEof: 1 << 24,
} as const;

/**
 * What the gateway lets client and target agree on: everything it can relay and parse. Left out:
 * compression (the gateway reads every packet: a client gets it from the gateway alone, see
 * compressed-stream.ts), LOCAL INFILE (granted per connection), optional
 * result metadata, query attributes and zstd (they change packet layouts the gateway parses), and
 * MariaDB's extended capabilities but one (RELAYABLE_MARIADB_CAPS).
 */
export const RELAYABLE_CAPS =
  Cap.LongPassword |
  Cap.FoundRows |
  Cap.LongFlag |
  Cap.ConnectWithDb |
  Cap.NoSchema |
  Cap.Odbc |
  Cap.IgnoreSpace |
  Cap.Protocol41 |
  Cap.Interactive |
  Cap.IgnoreSigpipe |
  Cap.Transactions |
  Cap.Reserved |
  Cap.SecureConnection |
  Cap.MultiStatements |
  Cap.MultiResults |
  Cap.PsMultiResults |
  Cap.PluginAuth |
  Cap.ConnectAttrs |
  Cap.PluginAuthLenencData |
  Cap.CanHandleExpiredPasswords |
  Cap.SessionTrack |
  Cap.DeprecateEof;

/**
 * MariaDB's extended capabilities: the last 4 of the greeting's and the handshake response's reserved
 * bytes, read when the capability flags leave CLIENT_MYSQL (bit 0, LongPassword) clear.
 */
export const MariadbCap = { Progress: 1 << 0, StmtBulkOperations: 1 << 2, ExtendedMetadata: 1 << 3, CacheMetadata: 1 << 4 } as const;

/**
 * The one relayed: extended column metadata (a column definition says a LONGTEXT is JSON, a BLOB a
 * POINT), by which MariaDB's own connectors return a JSON column as an object. Left out: progress
 * reports and bulk execution (packets the gateway does not read) and cached metadata (the server would
 * stop sending the column definitions masking reads).
 */
export const RELAYABLE_MARIADB_CAPS = MariadbCap.ExtendedMetadata;

/** Server status flags the relay reads. */
export const Status = { MoreResultsExist: 0x0008, CursorExists: 0x0040, NoBackslashEscapes: 0x0200 } as const;

/** Command bytes (the first byte of a client's command packet). */
export const Com = {
  Quit: 0x01,
  InitDb: 0x02,
  Query: 0x03,
  FieldList: 0x04,
  Refresh: 0x07,
  Statistics: 0x09,
  ProcessKill: 0x0c,
  Debug: 0x0d,
  Ping: 0x0e,
  ChangeUser: 0x11,
  StmtPrepare: 0x16,
  StmtExecute: 0x17,
  StmtSendLongData: 0x18,
  StmtClose: 0x19,
  StmtReset: 0x1a,
  SetOption: 0x1b,
  StmtFetch: 0x1c,
  ResetConnection: 0x1f,
} as const;

/** Server error numbers and SQLSTATEs the gateway answers with (as MySQL and MariaDB name them). */
export const Err = {
  AccessDenied: { code: 1045, state: "28000" }, // ER_ACCESS_DENIED_ERROR
  TableAccessDenied: { code: 1142, state: "42000" }, // ER_TABLEACCESS_DENIED_ERROR: a refused statement
  SpecificAccessDenied: { code: 1227, state: "42000" }, // ER_SPECIFIC_ACCESS_DENIED_ERROR: a refused command
  ParseError: { code: 1064, state: "42000" }, // ER_PARSE_ERROR
  Handshake: { code: 1043, state: "08S01" }, // ER_HANDSHAKE_ERROR
  PacketTooLarge: { code: 1153, state: "08S01" }, // ER_NET_PACKET_TOO_LARGE
  PacketsOutOfOrder: { code: 1156, state: "08S01" }, // ER_NET_PACKETS_OUT_OF_ORDER
  Uncompress: { code: 1157, state: "08S01" }, // ER_NET_UNCOMPRESS_ERROR
  ReadTimeout: { code: 1159, state: "08S01" }, // ER_NET_READ_INTERRUPTED
  QueryInterrupted: { code: 1317, state: "70100" }, // ER_QUERY_INTERRUPTED
  ConnectionKilled: { code: 1927, state: "70100" }, // ER_CONNECTION_KILLED (MariaDB)
  // The target went away. Not CR_SERVER_LOST (2013): a client-range code (2000-2999) in a server's
  // error packet reads as "Received malformed packet" to libmariadb's clients (mysql, mysqldump,
  // MySQLdb), which then drop the message. SQLSTATE class 08 tells drivers the connection is gone.
  TargetLost: { code: 1158, state: "08S01" }, // ER_NET_READ_ERROR
  Unavailable: { code: 1040, state: "08004" }, // ER_CON_COUNT_ERROR: "try again shortly"
  NoSuchThread: { code: 1094, state: "HY000" }, // ER_NO_SUCH_THREAD
  SecureTransportRequired: { code: 3159, state: "HY000" }, // ER_SECURE_TRANSPORT_REQUIRED
} as const;
export type ErrSpec = { code: number; state: string };

/** Column types whose binary-protocol values are length-encoded strings (everything else is fixed or a small length byte). */
export const STRING_TYPES = new Set([
  0x00, // DECIMAL
  0x0f, // VARCHAR
  0x10, // BIT
  0xf5, // JSON
  0xf6, // NEWDECIMAL
  0xf7, // ENUM
  0xf8, // SET
  0xf9, // TINY_BLOB
  0xfa, // MEDIUM_BLOB
  0xfb, // LONG_BLOB
  0xfc, // BLOB
  0xfd, // VAR_STRING
  0xfe, // STRING
  0xff, // GEOMETRY
]);

/** Binary-protocol value sizes of the fixed-size types (TINY, SHORT, YEAR, LONG, INT24, FLOAT, DOUBLE, LONGLONG, NULL). */
export const FIXED_SIZES: Record<number, number> = { 0x01: 1, 0x02: 2, 0x0d: 2, 0x03: 4, 0x09: 4, 0x04: 4, 0x05: 8, 0x08: 8, 0x06: 0 };
/** Types whose binary-protocol values are a length byte and that many bytes (TIMESTAMP, DATE, TIME, DATETIME). */
export const DATE_LIKE_TYPES = new Set([0x07, 0x0a, 0x0b, 0x0c]);
