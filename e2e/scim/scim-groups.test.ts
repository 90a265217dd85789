import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestGateway, type TestGateway } from "../support/gateway-harness";
import { gatehouseQuery } from "../support/sign-in";
import { expectScimError, oktaUser, scimClient } from "./scim-support";

// Group pushes as Okta and Entra ID send them: create with members, PATCH add/remove members, rename, delete.
let t: TestGateway;
let scim: ReturnType<typeof scimClient>;
let ann: string;
let bob: string;
const PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

beforeAll(async () => {
  t = await startTestGateway();
  scim = scimClient(t, (await t.cli("scim", "token", "issue", "entra")).stdout.trim());
  ann = (await scim("POST", "/Users", oktaUser("ann@example.com"))).body.id;
  bob = (await scim("POST", "/Users", oktaUser("bob@example.com", { externalId: "b" }))).body.id;
});
afterAll(() => t?.close());

/** The console account's groups and role, and the gateway groups of the person's identity. */
async function person(email: string) {
  const [row] = await gatehouseQuery<{ role: string; groups: string[]; gateway: string[] }>(
    t,
    `select u.role, u.groups, array(select g.name from memberships m join groups g on g.id = m.group_id where m.identity_id = u.identity_id order by g.name) as gateway
     from console_users u where u.email = $1`,
    [email],
  );
  return row;
}

describe("[SCIM] groups", () => {
  let admins: string;

  it("[SCIM]: POST a group with a member gives the console role the mapping names and the gateway group", async () => {
    const r = await scim("POST", "/Groups", { schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"], displayName: "gh-admins", members: [{ value: ann, display: "ann@example.com" }] });
    expect(r.status).toBe(201);
    expect(r.body.members).toEqual([expect.objectContaining({ value: ann, display: "ann@example.com" })]);
    admins = r.body.id;
    expect(await person("ann@example.com")).toEqual({ role: "admin", groups: ["gh-admins"], gateway: ["gh-admins"] });
    expect((await scim("GET", `/Users/${ann}`)).body.groups).toEqual([expect.objectContaining({ value: admins, display: "gh-admins" })]);
    const byName = await scim("GET", `/Groups?filter=${encodeURIComponent('displayName eq "gh-admins"')}&excludedAttributes=members`);
    expect(byName.body.totalResults).toBe(1);
    expect(byName.body.Resources[0]).not.toHaveProperty("members");
  });

  it("[SCIM]: PATCH add members (Okta), remove by members[value eq] (Okta) and by value list (Entra)", async () => {
    const add = await scim("PATCH", `/Groups/${admins}`, { schemas: [PATCH], Operations: [{ op: "add", path: "members", value: [{ value: bob }] }] });
    expect(add.status).toBe(200);
    expect(add.body.members.map((m: { value: string }) => m.value).sort()).toEqual([ann, bob].sort());
    expect((await person("bob@example.com")).gateway).toEqual(["gh-admins"]);
    await scim("PATCH", `/Groups/${admins}`, { schemas: [PATCH], Operations: [{ op: "remove", path: `members[value eq "${ann}"]` }] });
    expect(await person("ann@example.com")).toMatchObject({ groups: [], gateway: [] });
    await scim("PATCH", `/Groups/${admins}`, { schemas: [PATCH], Operations: [{ op: "Remove", path: "members", value: [{ value: bob }] }] });
    expect((await scim("GET", `/Groups/${admins}`)).body.members).toEqual([]);
    expect((await person("bob@example.com")).gateway).toEqual([]);
  });

  it("[SCIM]: a group an admin gave in Gatehouse is left alone; rename and delete move the SCIM membership", async () => {
    await t.cli("keys", "issue", "ann@example.com", "--groups", "local-ops");
    const ops = await scim("POST", "/Groups", { displayName: "ops", members: [{ value: ann }] });
    expect((await person("ann@example.com")).gateway).toEqual(["local-ops", "ops"]);
    await scim("PATCH", `/Groups/${ops.body.id}`, { schemas: [PATCH], Operations: [{ op: "replace", value: { id: ops.body.id, displayName: "sre" } }] });
    expect(await person("ann@example.com")).toMatchObject({ groups: ["sre"], gateway: ["local-ops", "sre"] });
    expect((await scim("DELETE", `/Groups/${ops.body.id}`)).status).toBe(204);
    expect(await person("ann@example.com")).toMatchObject({ groups: [], gateway: ["local-ops"] });
    expectScimError(await scim("GET", `/Groups/${ops.body.id}`), 404);
  });

  it("[SCIM]: an unknown member, a duplicate name and a bad path are SCIM errors", async () => {
    expectScimError(await scim("POST", "/Groups", { displayName: "x", members: [{ value: "00000000-0000-0000-0000-000000000000" }] }), 400);
    expectScimError(await scim("POST", "/Groups", { displayName: "gh-admins" }), 409);
    expectScimError(await scim("PATCH", `/Groups/${admins}`, { schemas: [PATCH], Operations: [{ op: "replace", path: "owner", value: "x" }] }), 400);
  });
});
