/** SCIM 2.0 (RFC 7643/7644) wire helpers: media type, errors, list responses, discovery documents. */

export const SCIM_MEDIA_TYPE = "application/scim+json";
export const USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User";
export const GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group";
export const LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
export const PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
export const ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error";

export type ScimType = "invalidFilter" | "invalidSyntax" | "invalidPath" | "invalidValue" | "uniqueness" | "mutability" | "noTarget" | "tooMany";

/** A refusal rendered as a SCIM Error body with its HTTP status. */
export class ScimError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly scimType?: ScimType,
  ) {
    super(message);
  }
}

export function scimResponse(status: number, body?: unknown, headers: Record<string, string> = {}): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { "content-type": SCIM_MEDIA_TYPE, "cache-control": "no-store", ...headers } });
}

export function scimErrorResponse(err: ScimError): Response {
  const body = { schemas: [ERROR_SCHEMA], status: String(err.status), ...(err.scimType ? { scimType: err.scimType } : {}), detail: err.message };
  return scimResponse(err.status, body, err.status === 401 ? { "www-authenticate": 'Bearer realm="gatehouse-scim"' } : {});
}

export function listResponse(resources: unknown[], total: number, startIndex: number) {
  return { schemas: [LIST_SCHEMA], totalResults: total, startIndex, itemsPerPage: resources.length, Resources: resources };
}

/** startIndex (1-based) and count, as RFC 7644 3.4.2.4 reads them: out-of-range values are clamped, not refused. */
export function paging(params: URLSearchParams): { startIndex: number; count: number } {
  const num = (name: string, fallback: number) => {
    const raw = params.get(name);
    if (raw === null || raw === "") return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n)) throw new ScimError(400, `${name} must be an integer`, "invalidValue");
    return n;
  };
  return { startIndex: Math.max(1, num("startIndex", 1)), count: Math.min(200, Math.max(0, num("count", 100))) };
}

/** `attr eq "value"`: the one filter IdPs send to find a user or group before creating it. */
export function parseEqFilter(filter: string | null, attributes: readonly string[]): { attribute: string; value: string } | null {
  if (filter === null || filter.trim() === "") return null;
  const m = /^\s*([A-Za-z][\w.:]*)\s+eq\s+"((?:[^"\\]|\\.)*)"\s*$/i.exec(filter);
  if (!m) throw new ScimError(400, `unsupported filter: only 'attribute eq "value"' is supported (attributes: ${attributes.join(", ")})`, "invalidFilter");
  const attribute = attributes.find((a) => a.toLowerCase() === m[1].toLowerCase());
  if (!attribute) throw new ScimError(400, `cannot filter on ${m[1]} (supported: ${attributes.join(", ")})`, "invalidFilter");
  return { attribute, value: m[2].replace(/\\(.)/g, "$1") };
}

/** A boolean as IdPs send it: true/false, or "True"/"False" (Entra ID sends strings in PATCH). */
export function scimBoolean(value: unknown, what: string): boolean {
  if (typeof value === "boolean") return value;
  if (typeof value === "string" && /^(true|false)$/i.test(value)) return value.toLowerCase() === "true";
  throw new ScimError(400, `${what} must be true or false`, "invalidValue");
}

export const optionalString = (value: unknown, what: string): string | null => {
  if (value === undefined || value === null) return null;
  if (typeof value !== "string") throw new ScimError(400, `${what} must be a string`, "invalidValue");
  return value;
};

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** The PATCH operations, after the envelope's shape is checked; `op` lower-cased (Entra ID sends "Replace"). */
export type PatchOp = { op: "add" | "replace" | "remove"; path?: string; value?: unknown };

export function readPatch(body: unknown): PatchOp[] {
  if (!isObject(body) || !Array.isArray(body.Operations)) throw new ScimError(400, "a PATCH body is a PatchOp with an Operations array", "invalidSyntax");
  return body.Operations.map((raw, i) => {
    if (!isObject(raw) || typeof raw.op !== "string") throw new ScimError(400, `Operations[${i}] needs an op`, "invalidSyntax");
    const op = raw.op.toLowerCase();
    if (op !== "add" && op !== "replace" && op !== "remove") throw new ScimError(400, `Operations[${i}]: unknown op "${raw.op}"`, "invalidSyntax");
    if (raw.path !== undefined && typeof raw.path !== "string") throw new ScimError(400, `Operations[${i}]: path must be a string`, "invalidPath");
    if (op === "remove" && raw.path === undefined) throw new ScimError(400, `Operations[${i}]: remove needs a path`, "noTarget");
    return { op, path: raw.path as string | undefined, value: raw.value };
  });
}

export function serviceProviderConfig(base: string) {
  return {
    schemas: ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
    documentationUri: "https://github.com/gatehouse/gatehouse#scim-provisioning",
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: 200 },
    changePassword: { supported: false },
    sort: { supported: false },
    etag: { supported: false },
    authenticationSchemes: [{ type: "oauthbearertoken", name: "OAuth Bearer Token", description: "A SCIM token from `gatehouse scim token issue`", primary: true }],
    meta: { resourceType: "ServiceProviderConfig", location: `${base}/ServiceProviderConfig` },
  };
}

export function resourceTypes(base: string) {
  const type = (name: string, endpoint: string, schema: string) => ({
    schemas: ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
    id: name,
    name,
    endpoint,
    schema,
    meta: { resourceType: "ResourceType", location: `${base}/ResourceTypes/${name}` },
  });
  return [type("User", "/Users", USER_SCHEMA), type("Group", "/Groups", GROUP_SCHEMA)];
}

const attr = (name: string, type: string, extra: Record<string, unknown> = {}) => ({
  name,
  type,
  multiValued: false,
  required: false,
  caseExact: false,
  mutability: "readWrite",
  returned: "default",
  uniqueness: "none",
  ...extra,
});

export function schemas(base: string) {
  const meta = (id: string) => ({ resourceType: "Schema", location: `${base}/Schemas/${id}` });
  return [
    {
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
      id: USER_SCHEMA,
      name: "User",
      description: "A person: a console account and the gateway identities linked to it",
      attributes: [
        attr("userName", "string", { required: true, uniqueness: "server" }),
        attr("externalId", "string", { caseExact: true }),
        attr("displayName", "string"),
        attr("name", "complex", { subAttributes: [attr("givenName", "string"), attr("familyName", "string"), attr("formatted", "string")] }),
        attr("emails", "complex", { multiValued: true, subAttributes: [attr("value", "string"), attr("type", "string"), attr("primary", "boolean")] }),
        attr("active", "boolean"),
        attr("groups", "complex", { multiValued: true, mutability: "readOnly", subAttributes: [attr("value", "string"), attr("display", "string")] }),
      ],
      meta: meta(USER_SCHEMA),
    },
    {
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
      id: GROUP_SCHEMA,
      name: "Group",
      description: "A group: console role mapping (GATEHOUSE_*_GROUPS) and gateway group membership",
      attributes: [
        attr("displayName", "string", { required: true, uniqueness: "server" }),
        attr("externalId", "string", { caseExact: true }),
        attr("members", "complex", { multiValued: true, subAttributes: [attr("value", "string"), attr("display", "string")] }),
      ],
      meta: meta(GROUP_SCHEMA),
    },
  ];
}
