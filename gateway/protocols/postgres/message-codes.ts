/** Wire type bytes of the PostgreSQL v3 protocol, as the char code of the letter in each comment. */
export const Frontend = {
  Query: 0x51, // 'Q'
  Parse: 0x50, // 'P'
  Bind: 0x42, // 'B'
  Describe: 0x44, // 'D'
  Execute: 0x45, // 'E'
  Sync: 0x53, // 'S'
  Flush: 0x48, // 'H'
  Close: 0x43, // 'C'
  FunctionCall: 0x46, // 'F'
  CopyData: 0x64, // 'd'
  CopyDone: 0x63, // 'c'
  CopyFail: 0x66, // 'f'
  Terminate: 0x58, // 'X'
  Password: 0x70, // 'p' (also SASL responses)
} as const;

export const Backend = {
  Authentication: 0x52, // 'R'
  ParameterStatus: 0x53, // 'S'
  BackendKeyData: 0x4b, // 'K'
  ReadyForQuery: 0x5a, // 'Z'
  RowDescription: 0x54, // 'T'
  DataRow: 0x44, // 'D'
  CommandComplete: 0x43, // 'C'
  EmptyQueryResponse: 0x49, // 'I'
  ErrorResponse: 0x45, // 'E'
  NoticeResponse: 0x4e, // 'N'
  NotificationResponse: 0x41, // 'A'
  ParseComplete: 0x31, // '1'
  BindComplete: 0x32, // '2'
  CloseComplete: 0x33, // '3'
  NoData: 0x6e, // 'n'
  ParameterDescription: 0x74, // 't'
  PortalSuspended: 0x73, // 's'
  CopyInResponse: 0x47, // 'G'
  CopyOutResponse: 0x48, // 'H'
  CopyBothResponse: 0x57, // 'W'
  CopyData: 0x64, // 'd'
  CopyDone: 0x63, // 'c'
  FunctionCallResponse: 0x56, // 'V'
  NegotiateProtocolVersion: 0x76, // 'v'
} as const;

/** Codes of the untyped first packet a client sends. */
export const StartupCode = {
  Protocol30: 196608, // 3.0
  SSLRequest: 80877103,
  GSSENCRequest: 80877104,
  CancelRequest: 80877102,
} as const;

/** SQLSTATEs the gateway itself raises. */
export const SqlState = {
  InvalidPassword: "28P01",
  InvalidAuthorization: "28000",
  ProtocolViolation: "08P01",
  ConnectionFailure: "08006",
  CannotConnectNow: "57P03",
  AdminShutdown: "57P01",
  FeatureNotSupported: "0A000",
  InsufficientPrivilege: "42501",
  QueryCanceled: "57014",
  IdleSessionTimeout: "57P05",
  InternalError: "XX000",
} as const;
