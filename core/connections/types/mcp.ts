import { z } from "zod";
import { FlagUsageError, parseSettingsWith, stringFlag, type ConnectionTypeModule } from "../connection-type";
import { checkboxField, nameField, optionalNumberField, optionalTextField, secretKeysField, splitConnectionForm, type FieldSpec } from "../form-fields";
import { HEADER_NAME, RESERVED_HEADERS } from "./http-credential";
import { testMcpTarget } from "./mcp-test-target";
import { parseArgsList } from "./mcp-args";

export { parseArgsList };

/** How the gateway reaches the upstream MCP server: Streamable HTTP at a URL, or a program it runs and speaks to over stdio. */
export const MCP_TRANSPORTS = ["http", "stdio"] as const;
/** How the credential reaches a Streamable HTTP upstream: `Authorization: Bearer`, a named header, or not at all. */
export const MCP_AUTH_KINDS = ["bearer", "header", "none"] as const;

const validUrl = (v: string) => {
  try {
    const u = new URL(v);
    return (u.protocol === "http:" || u.protocol === "https:") && !u.username && !u.password && !u.hash;
  } catch {
    return false;
  }
};
const URL_RULE = "an http:// or https:// URL without credentials or fragment (https://mcp.internal/mcp)";
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,100}$/;

const ARGS_RULE = 'a JSON array of strings: ["/srv/server.js", "--stdio"]';

const settingsSchema = z
  .object({
    transport: z.enum(MCP_TRANSPORTS).default("http"),
    /** Streamable HTTP: the server's endpoint. */
    url: z.string().refine(validUrl, URL_RULE).default("http://127.0.0.1/mcp"),
    auth: z.enum(MCP_AUTH_KINDS).default("bearer"),
    /** The header the credential goes in (header auth). */
    authName: z.string().regex(HEADER_NAME).optional(),
    /** stdio: the program the gateway runs (one process per connection per gateway instance), and its arguments (a JSON array). */
    command: z.string().min(1).max(4096).optional(),
    args: z
      .string()
      .refine((v) => parseArgsList(v) !== undefined, ARGS_RULE)
      .optional(),
    /** stdio: the environment variable the credential is given to the program in. */
    credentialEnv: z.string().regex(ENV_NAME).optional(),
    /**
     * Tools the gateway sees for the first time are callable at once (their definition pinned as
     * seen). Off (the default): every tool waits for an admin's approval. Changed tools always wait.
     */
    trustNewTools: z.boolean().default(false),
    /** How long one upstream request (a call, a listing) may take. */
    timeoutMs: z.number().int().min(100).max(600_000).default(60_000),
  })
  .superRefine((s, ctx) => {
    if (s.transport === "stdio" && !s.command) ctx.addIssue({ code: "custom", path: ["command"], message: "a stdio server needs the program to run" });
    if (s.auth === "header" && !s.authName) ctx.addIssue({ code: "custom", path: ["authName"], message: "header auth needs the header name" });
    if (s.auth === "header" && s.authName && RESERVED_HEADERS.has(s.authName.toLowerCase())) ctx.addIssue({ code: "custom", path: ["authName"], message: `the gateway sets ${s.authName} itself` });
  });
export type McpSettings = z.infer<typeof settingsSchema>;

const secretSchema = z.object({ credential: z.string().optional() });
export type McpSecret = z.infer<typeof secretSchema>;

export const mcpFormSchema = z.object({
  type: z.literal("mcp"),
  name: nameField("path segment (/mcp/<name>)"),
  transport: z.enum(MCP_TRANSPORTS, "choose how the gateway reaches the server"),
  url: optionalTextField(2048).refine((v) => v === undefined || validUrl(v), URL_RULE),
  auth: z.enum(MCP_AUTH_KINDS).default("bearer"),
  authName: z
    .string()
    .trim()
    .refine((v) => v === "" || HEADER_NAME.test(v), "letters, digits and - _ . only")
    .optional()
    .transform((v) => v || undefined),
  command: optionalTextField(4096),
  args: optionalTextField(65_536).refine((v) => parseArgsList(v) !== undefined, ARGS_RULE),
  credentialEnv: optionalTextField(100).refine((v) => v === undefined || ENV_NAME.test(v), "an environment variable name (LETTERS_AND_DIGITS)"),
  /** Write-only: empty keeps the stored credential. */
  credential: z.string().max(8192, "at most 8 KiB").optional(),
  trustNewTools: checkboxField(false),
  timeoutMs: optionalNumberField("milliseconds", 100, 600_000),
  clearSecrets: secretKeysField,
});
export type McpForm = z.infer<typeof mcpFormSchema>;

const FIELDS: readonly FieldSpec[] = [
  { key: "transport", label: "Transport", kind: "select", options: MCP_TRANSPORTS, optionLabels: { http: "Streamable HTTP (a URL)", stdio: "stdio (a program the gateway runs)" } },
  { key: "url", label: "Server URL", kind: "text", placeholder: "https://mcp.internal/mcp", wide: true, showWhen: { key: "transport", is: "http" } },
  {
    key: "auth",
    label: "Send the credential as",
    kind: "select",
    options: MCP_AUTH_KINDS,
    optionLabels: { bearer: "Authorization: Bearer", header: "a header (X-API-Key...)", none: "nothing" },
    showWhen: { key: "transport", is: "http" },
  },
  { key: "authName", label: "Header name", kind: "text", placeholder: "X-API-Key", showWhen: { key: "auth", is: "header" } },
  {
    key: "command",
    label: "Program",
    kind: "text",
    placeholder: "/usr/bin/node",
    wide: true,
    showWhen: { key: "transport", is: "stdio" },
    hint: "Run by the gateway, on the gateway's host, as the gateway's user.",
  },
  { key: "args", label: "Arguments (JSON array)", kind: "text", placeholder: '["/srv/mcp/server.js"]', wide: true, showWhen: { key: "transport", is: "stdio" } },
  { key: "credentialEnv", label: "Credential's environment variable", kind: "text", placeholder: "GITHUB_TOKEN", showWhen: { key: "transport", is: "stdio" } },
  { key: "credential", label: "Credential", kind: "password", secret: true, hint: "The server's token or API key; agents never see it." },
  {
    key: "trustNewTools",
    label: "Trust tools seen for the first time",
    kind: "checkbox",
    hint: "Off: every tool waits for an admin's approval before agents see it. A tool whose definition changes always waits.",
  },
  { key: "timeoutMs", label: "Upstream timeout (ms)", kind: "number", hint: "How long one tool call may take. Default 60000." },
];

const target = (s: McpSettings) => (s.transport === "http" ? s.url : [s.command ?? "", ...(parseArgsList(s.args) ?? [])].join(" "));

export const mcp = {
  type: "mcp",
  label: "MCP server",
  listener: "mcp",
  terminal: null,
  settingsSchema,
  secretSchema,
  parseSettings: (connection) => parseSettingsWith("mcp", settingsSchema, connection),
  form: {
    schema: mcpFormSchema,
    nameUse: "path segment (http://gateway:18888/mcp/<name>)",
    namePlaceholder: "github-mcp",
    fields: FIELDS,
    defaults: { transport: "http", url: "", auth: "bearer", authName: "", command: "", args: "", credentialEnv: "", credential: "", trustNewTools: "false", timeoutMs: "" },
    plan: async (form) => {
      const split = splitConnectionForm(FIELDS, form);
      const settings = Object.fromEntries(Object.entries(split.settings).filter(([, v]) => v !== undefined && v !== ""));
      return { ...split, settings };
    },
  },
  test: ({ settings, secret }) => testMcpTarget(settings, secret.credential),
  cli: {
    flags: {
      transport: { type: "string" },
      url: { type: "string" },
      auth: { type: "string" },
      "auth-name": { type: "string" },
      credential: { type: "string" },
      command: { type: "string" },
      args: { type: "string" },
      "credential-env": { type: "string" },
      "trust-new-tools": { type: "boolean" },
      "timeout-ms": { type: "string" },
    },
    usage: {
      flags: [
        "(--url URL [--auth bearer|header|none] [--auth-name N] [--credential SECRET]",
        "| --transport stdio --command PROGRAM [--args JSON-ARRAY] [--credential-env NAME --credential SECRET])",
        "[--trust-new-tools] [--timeout-ms MS]",
      ],
      about: "an upstream MCP server at /mcp/<name> (tools judged; each tool's definition approved by an admin)",
    },
    example: "github-mcp --type mcp --url https://mcp.internal/mcp --credential $TOKEN",
    parse: async (flags) => {
      const transport = stringFlag(flags, "transport") ?? (stringFlag(flags, "command") ? "stdio" : "http");
      if (!(MCP_TRANSPORTS as readonly string[]).includes(transport)) throw new FlagUsageError(`--transport is one of ${MCP_TRANSPORTS.join(", ")}`);
      if (transport === "http" && !stringFlag(flags, "url")) throw new FlagUsageError(`--url is required: ${URL_RULE}`);
      if (transport === "stdio" && !stringFlag(flags, "command")) throw new FlagUsageError("--command is required: the program the gateway runs");
      const timeout = stringFlag(flags, "timeout-ms");
      if (timeout !== undefined && !/^\d+$/.test(timeout)) throw new FlagUsageError("--timeout-ms takes a whole number");
      const raw = {
        transport,
        url: stringFlag(flags, "url"),
        auth: stringFlag(flags, "auth") ?? (transport === "http" && stringFlag(flags, "credential") ? "bearer" : "none"),
        authName: stringFlag(flags, "auth-name"),
        command: stringFlag(flags, "command"),
        args: stringFlag(flags, "args"),
        credentialEnv: stringFlag(flags, "credential-env"),
        trustNewTools: flags["trust-new-tools"] === true,
        timeoutMs: timeout === undefined ? undefined : Number(timeout),
      };
      const parsed = settingsSchema.safeParse(Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined)));
      if (!parsed.success) throw new Error(parsed.error.issues.map((i) => `${i.path.join(".") || "settings"}: ${i.message}`).join("; "));
      const credential = stringFlag(flags, "credential");
      if (transport === "stdio" && credential && !parsed.data.credentialEnv) throw new FlagUsageError("--credential-env names the variable the program reads the credential from");
      if (transport === "http" && parsed.data.auth !== "none" && !credential) throw new FlagUsageError("--credential is required (or --auth none)");
      return { settings: parsed.data, secret: credential ? { credential } : {} };
    },
    added: (s) => `${s.transport === "http" ? s.url : `stdio: ${target(s)}`}${s.trustNewTools ? ", new tools trusted" : ", every tool waits for approval"}`,
    listed: (s) => `${s.transport}\t${target(s)}${s.trustNewTools ? "\tnew tools trusted" : ""}`,
  },
  address: (s) => {
    if (s.transport === "stdio") return "stdio";
    const u = new URL(s.url);
    return `${u.hostname}:${u.port || (u.protocol === "https:" ? 443 : 80)}`;
  },
  summary: (s, hasSecret) => [
    { text: target(s), tone: "target" },
    { text: `${s.transport === "http" ? "Streamable HTTP" : "stdio"}${hasSecret ? " · credential stored" : ""}`, tone: "note" },
    s.trustNewTools ? { text: "new tools trusted without approval", tone: "warning" as const } : { text: "each tool needs an admin's approval", tone: "note" as const },
  ],
  hostKeyPin: null,
} satisfies ConnectionTypeModule<McpSettings, McpSecret, McpForm>;
