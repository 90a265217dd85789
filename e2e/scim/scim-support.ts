import { expect } from "vitest";
import { checkpointKey } from "../../core/audit/audit-chain";
import { parseSecretKey } from "../../core/crypto/secret-box";
import { roleFromGroups } from "../../server/auth/role-from-groups";
import { handleScim } from "../../server/scim/handle-scim";
import type { TestGateway } from "../support/gateway-harness";

export const SCIM_CT = "application/scim+json";

/**
 * The console's SCIM route handler (app/scim/v2/[[...path]]/route.ts) is one line around handleScim;
 * these tests call handleScim with real Request objects, on the test gateway's database, with the
 * role mapping GATEHOUSE_ADMIN_GROUPS=gh-admins.
 */
export function scimClient(t: TestGateway, token: string) {
  const deps = {
    db: t.gw.deps.db,
    auditKey: checkpointKey(parseSecretKey(t.env.GATEHOUSE_SECRET_KEY)),
    roleFromGroups: (g: string[]) => roleFromGroups(g, { admin: ["gh-admins"], approver: ["gh-approvers"], auditor: [] }),
  };
  const call = async (method: string, path: string, body?: unknown, opts: { token?: string; raw?: string; contentType?: string } = {}) => {
    const headers: Record<string, string> = { accept: SCIM_CT, authorization: `Bearer ${opts.token ?? token}` };
    if (body !== undefined || opts.raw !== undefined) headers["content-type"] = opts.contentType ?? SCIM_CT;
    const res = await handleScim(new Request(`https://console.example.com/scim/v2${path}`, { method, headers, body: opts.raw ?? (body === undefined ? undefined : JSON.stringify(body)) }), deps);
    const text = await res.text();
    return { status: res.status, type: res.headers.get("content-type"), headers: res.headers, body: text ? JSON.parse(text) : null };
  };
  return call;
}

/** The POST body Okta's SCIM client sends for a new user. */
export const oktaUser = (userName: string, extra: Record<string, unknown> = {}) => ({
  schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
  userName,
  name: { givenName: "Dana", familyName: "Scully" },
  emails: [{ primary: true, value: userName, type: "work" }],
  displayName: "Dana Scully",
  locale: "en-US",
  externalId: "00u1abcd",
  groups: [],
  password: "ignored-by-gatehouse-1!",
  active: true,
  ...extra,
});

export const expectScimError = (r: { status: number; type: string | null; body: Record<string, unknown> }, status: number) => {
  expect(r.status).toBe(status);
  expect(r.type).toBe(SCIM_CT);
  expect(r.body).toMatchObject({ schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"], status: String(status) });
  expect(typeof r.body.detail).toBe("string");
};
