import { z } from "zod";
import { FlagUsageError, parseSettingsWith, stringFlag, type ConnectionTypeModule } from "../connection-type";
import { checkboxField, nameField, optionalNumberField, optionalTextField, secretKeysField, splitConnectionForm, type FieldSpec } from "../form-fields";
import { testHttpTarget } from "./http-test-target";
import { HEADER_NAME, RESERVED_HEADERS, parseExtraHeaders } from "./http-credential";

/**
 * How the gateway presents the upstream's credential (the secret, sealed):
 * bearer: `Authorization: Bearer <secret>`; header: `<authName>: <secret>` (X-API-Key...);
 * basic: `Authorization: Basic base64(<authUser>:<secret>)`; query: `?<authName>=<secret>`; none.
 */
export const HTTP_AUTH_KINDS = ["bearer", "header", "basic", "query", "none"] as const;
export type HttpAuthKind = (typeof HTTP_AUTH_KINDS)[number];
/** A response body masking must buffer (JSON) that is larger than maxBodyBytes: refused (502), or streamed through the detectors line by line. */
export const HTTP_OVERSIZE = ["refuse", "stream"] as const;
/** A body that is neither JSON nor text while masking is on: passed as it is, or refused. */
export const HTTP_OTHER_BODIES = ["pass", "refuse"] as const;
/**
 * A request a rule holds for review: the client waits for the decision, or is answered at once
 * with 202 and the review's link and sends the same request again once it is approved (for
 * clients whose timeouts are shorter than a human's answer).
 */
export const HTTP_HELD_REQUESTS = ["wait", "accepted"] as const;

/** The most of each body a request's audit event keeps (1 MiB). */
export const MAX_STORED_BODY = 1024 * 1024;

const validBaseUrl = (v: string) => {
  try {
    const u = new URL(v);
    return (u.protocol === "http:" || u.protocol === "https:") && !u.username && !u.password && !u.search && !u.hash;
  } catch {
    return false;
  }
};
const BASE_URL_RULE = "an http:// or https:// URL without credentials, query or fragment (https://api.internal/v1)";
const extraHeadersValid = (v: string) => {
  try {
    parseExtraHeaders(v);
    return true;
  } catch {
    return false;
  }
};

const settingsSchema = z
  .object({
    /** The upstream's base URL; `/proxy/<connection>/<path>` goes to `<baseUrl>/<path>`. */
    baseUrl: z.string().refine(validBaseUrl, BASE_URL_RULE).default("http://127.0.0.1"),
    auth: z.enum(HTTP_AUTH_KINDS).default("bearer"),
    /** The header (header auth) or query parameter (query auth) the credential goes in. */
    authName: z.string().regex(HEADER_NAME).optional(),
    /** The user name of basic auth (the password is the secret). */
    authUser: z.string().optional(),
    /** `Name: value` lines sent with every request. */
    extraHeaders: z.string().refine(extraHeadersValid, 'one "Name: value" a line, none the gateway sets itself').optional(),
    /** Check the upstream's TLS certificate (off: any certificate is accepted, with a warning in the console). */
    tlsVerify: z.boolean().default(true),
    /** PEM certificates the upstream's certificate must chain to, instead of the system's. */
    caBundle: z.string().optional(),
    /** How long the upstream may take to start answering (ms), else 504. */
    timeoutMs: z.number().int().min(100).max(600_000).default(30_000),
    /** The largest body the gateway buffers: a JSON response to mask, a request held for review. */
    maxBodyBytes: z
      .number()
      .int()
      .min(1024)
      .max(256 * 1024 * 1024)
      .default(8 * 1024 * 1024),
    oversizeBodies: z.enum(HTTP_OVERSIZE).default("stream"),
    otherBodies: z.enum(HTTP_OTHER_BODIES).default("pass"),
    heldRequests: z.enum(HTTP_HELD_REQUESTS).default("wait"),
    /**
     * Bodies kept in each request's audit event, up to this many bytes each way (0: none, the
     * default): the request as sent on, the response as the client got it (masked, the credential cut).
     */
    storeBodyBytes: z.number().int().min(0).max(MAX_STORED_BODY).default(0),
  })
  .superRefine((s, ctx) => {
    if ((s.auth === "header" || s.auth === "query") && !s.authName)
      ctx.addIssue({ code: "custom", path: ["authName"], message: `${s.auth} auth needs the ${s.auth === "header" ? "header" : "parameter"} name` });
    if (s.auth === "header" && s.authName && RESERVED_HEADERS.has(s.authName.toLowerCase())) ctx.addIssue({ code: "custom", path: ["authName"], message: `the gateway sets ${s.authName} itself` });
  });
export type HttpSettings = z.infer<typeof settingsSchema>;

const secretSchema = z.object({ credential: z.string().optional() });
export type HttpSecret = z.infer<typeof secretSchema>;

export const httpFormSchema = z.object({
  type: z.literal("http"),
  name: nameField("first path segment (/proxy/<name>/...)"),
  baseUrl: z.string().trim().refine(validBaseUrl, BASE_URL_RULE),
  auth: z.enum(HTTP_AUTH_KINDS, "choose how the credential is sent"),
  authName: z
    .string()
    .trim()
    .refine((v) => v === "" || HEADER_NAME.test(v), "letters, digits and - _ . only")
    .optional()
    .transform((v) => v || undefined),
  authUser: optionalTextField(200),
  /** Write-only: empty keeps the stored credential. */
  credential: z.string().max(8192, "at most 8 KiB").optional(),
  extraHeaders: z
    .string()
    .max(8192)
    .refine((v) => v.trim() === "" || extraHeadersValid(v), 'one "Name: value" a line, none the gateway sets itself')
    .optional()
    .transform((v) => (v?.trim() ? v.trim() : undefined)),
  tlsVerify: checkboxField(true),
  caBundle: optionalTextField(65_536),
  timeoutMs: optionalNumberField("milliseconds", 100, 600_000),
  maxBodyBytes: optionalNumberField("bytes", 1024, 256 * 1024 * 1024),
  oversizeBodies: z.enum(HTTP_OVERSIZE).default("stream"),
  otherBodies: z.enum(HTTP_OTHER_BODIES).default("pass"),
  heldRequests: z.enum(HTTP_HELD_REQUESTS).default("wait"),
  storeBodyBytes: optionalNumberField("bytes", 0, MAX_STORED_BODY),
  clearSecrets: secretKeysField,
});
export type HttpForm = z.infer<typeof httpFormSchema>;

const FIELDS: readonly FieldSpec[] = [
  {
    key: "baseUrl",
    label: "Base URL",
    kind: "text",
    placeholder: "https://api.internal/v1",
    required: true,
    wide: true,
    hint: "Clients call /proxy/<name>/<path>; the gateway forwards to <base URL>/<path>.",
  },
  {
    key: "auth",
    label: "Send the credential as",
    kind: "select",
    options: HTTP_AUTH_KINDS,
    optionLabels: { bearer: "Authorization: Bearer", header: "a header (X-API-Key...)", basic: "basic auth", query: "a query parameter", none: "nothing (no credential)" },
  },
  { key: "authName", label: "Header or parameter name", kind: "text", placeholder: "X-API-Key", hint: "For a header or a query parameter." },
  { key: "authUser", label: "Basic auth user", kind: "text", showWhen: { key: "auth", is: "basic" } },
  { key: "credential", label: "Credential", kind: "password", secret: true, hint: "The token, API key or password; agents never see it, and it is cut out of anything the upstream echoes." },
  {
    key: "extraHeaders",
    label: "Extra headers",
    kind: "textarea",
    wide: true,
    placeholder: "Accept: application/json",
    hint: 'One "Name: value" a line, sent with every request (stored in the clear).',
  },
  { key: "tlsVerify", label: "Verify the upstream's TLS certificate", kind: "checkbox", hint: "Off accepts any certificate: anyone on the path could read the credential." },
  {
    key: "caBundle",
    label: "CA bundle (PEM, optional)",
    kind: "textarea",
    wide: true,
    placeholder: "-----BEGIN CERTIFICATE-----",
    hint: "Certificates the upstream's must chain to, instead of the system's.",
  },
  { key: "timeoutMs", label: "Upstream timeout (ms)", kind: "number", hint: "How long the upstream may take to start answering (504 after). Default 30000." },
  { key: "maxBodyBytes", label: "Largest body to buffer (bytes)", kind: "number", hint: "JSON responses masked whole, requests held for review. Default 8 MiB." },
  {
    key: "oversizeBodies",
    label: "Larger JSON responses while masking",
    kind: "select",
    options: HTTP_OVERSIZE,
    optionLabels: { refuse: "refuse (502)", stream: "stream, masked as they go" },
    hint: "Streamed, path rules and detectors apply as the body goes: no Content-Length, and a body that stops being JSON under path rules is cut off.",
  },
  { key: "otherBodies", label: "Binary responses while masking", kind: "select", options: HTTP_OTHER_BODIES, optionLabels: { pass: "pass unmasked", refuse: "refuse (502)" } },
  {
    key: "heldRequests",
    label: "Requests held for review",
    kind: "select",
    options: HTTP_HELD_REQUESTS,
    optionLabels: { wait: "the client waits for the decision", accepted: "answer 202 at once; the client sends it again once approved" },
    hint: "202 suits clients with short timeouts (agents, SDKs); an approved request runs once when sent again unchanged.",
  },
  {
    key: "storeBodyBytes",
    label: "Bodies kept in the audit log (bytes each)",
    kind: "number",
    hint: "Empty or 0 (default): none. Else each request's event keeps this much of the request and of the response as the client got it (masked). At most 1048576.",
  },
];

export const http = {
  type: "http",
  label: "HTTP API",
  listener: "http",
  terminal: null,
  settingsSchema,
  secretSchema,
  parseSettings: (connection) => parseSettingsWith("http", settingsSchema, connection),
  form: {
    schema: httpFormSchema,
    nameUse: "first path segment (http://gateway:18888/proxy/<name>/...)",
    namePlaceholder: "billing-api",
    fields: FIELDS,
    defaults: {
      baseUrl: "",
      auth: "bearer",
      authName: "",
      authUser: "",
      credential: "",
      extraHeaders: "",
      tlsVerify: "true",
      caBundle: "",
      timeoutMs: "",
      maxBodyBytes: "",
      oversizeBodies: "stream",
      otherBodies: "pass",
      heldRequests: "wait",
      storeBodyBytes: "",
    },
    plan: async (form) => {
      const split = splitConnectionForm(FIELDS, form);
      const settings = Object.fromEntries(Object.entries(split.settings).filter(([, v]) => v !== undefined && v !== ""));
      return { ...split, settings };
    },
  },
  test: ({ settings, secret }) => testHttpTarget(settings, secret.credential),
  cli: {
    flags: {
      url: { type: "string" },
      auth: { type: "string" },
      "auth-name": { type: "string" },
      "auth-user": { type: "string" },
      credential: { type: "string" },
      header: { type: "string" },
      insecure: { type: "boolean" },
      "timeout-ms": { type: "string" },
      "max-body-bytes": { type: "string" },
      "held-requests": { type: "string" },
      "oversize-bodies": { type: "string" },
      "store-bodies": { type: "string" },
    },
    usage: {
      flags: [
        "--url URL [--auth bearer|header|basic|query|none] [--auth-name N] [--auth-user U]",
        "--credential SECRET [--header 'Name: value'] [--insecure] [--timeout-ms MS] [--max-body-bytes N] [--held-requests wait|accepted]",
        "[--oversize-bodies stream|refuse] [--store-bodies BYTES]",
      ],
      about: "an HTTP API at /proxy/<name>/ (the credential stored encrypted, injected)",
    },
    example: "billing-api --type http --url https://billing.internal/v1 --auth bearer --credential $TOKEN",
    parse: async (flags) => {
      const url = stringFlag(flags, "url");
      if (!url || !validBaseUrl(url)) throw new FlagUsageError(`--url is required: ${BASE_URL_RULE}`);
      const auth = stringFlag(flags, "auth") ?? "bearer";
      if (!(HTTP_AUTH_KINDS as readonly string[]).includes(auth)) throw new FlagUsageError(`--auth is one of ${HTTP_AUTH_KINDS.join(", ")}`);
      const credential = stringFlag(flags, "credential");
      if (auth !== "none" && !credential) throw new FlagUsageError("--credential is required (the token the gateway injects; agents never see it)");
      const num = (flag: string) => {
        const v = stringFlag(flags, flag);
        if (v === undefined) return undefined;
        if (!/^\d+$/.test(v)) throw new FlagUsageError(`--${flag} takes a whole number`);
        return Number(v);
      };
      const raw = {
        baseUrl: url,
        auth,
        authName: stringFlag(flags, "auth-name"),
        authUser: stringFlag(flags, "auth-user"),
        extraHeaders: stringFlag(flags, "header"),
        tlsVerify: flags.insecure !== true,
        timeoutMs: num("timeout-ms"),
        maxBodyBytes: num("max-body-bytes"),
        heldRequests: stringFlag(flags, "held-requests"),
        oversizeBodies: stringFlag(flags, "oversize-bodies"),
        storeBodyBytes: num("store-bodies"),
      };
      const parsed = settingsSchema.safeParse(Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined)));
      if (!parsed.success) throw new Error(parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
      return { settings: parsed.data, secret: credential ? { credential } : {} };
    },
    added: (s) => `${s.baseUrl}, credential as ${s.auth}`,
    listed: (s) => `${s.baseUrl}\tcredential as ${s.auth}${s.tlsVerify ? "" : "\tTLS not verified"}`,
  },
  address: (s) => {
    const u = new URL(s.baseUrl);
    return `${u.hostname}:${u.port || (u.protocol === "https:" ? 443 : 80)}`;
  },
  summary: (s, hasSecret) => [
    { text: s.baseUrl, tone: "target" },
    { text: `credential as ${s.auth}${s.authName ? ` (${s.authName})` : ""}${hasSecret || s.auth === "none" ? "" : " · no credential stored"}`, tone: "note" },
    ...(s.tlsVerify ? [] : [{ text: "TLS certificate not verified", tone: "warning" as const }]),
    ...(s.heldRequests === "accepted" ? [{ text: "held requests answered 202", tone: "note" as const }] : []),
    ...(s.storeBodyBytes > 0 ? [{ text: `bodies kept in the audit (${s.storeBodyBytes} bytes each)`, tone: "note" as const }] : []),
  ],
  hostKeyPin: null,
} satisfies ConnectionTypeModule<HttpSettings, HttpSecret, HttpForm>;
