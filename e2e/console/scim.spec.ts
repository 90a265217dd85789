import { expect, storageStateFor, test } from "./support/fixtures";

// SCIM through the console's real route (the production build's /scim/v2, not the handler called
// directly as in e2e/scim/): an IdP's requests create a person, deactivate them and read them back;
// a wrong token gets a SCIM error. Then the admin's Agents & keys page with its last-use column.
test.use({ storageState: storageStateFor("admin") });

test("[SCIM]: the console's /scim/v2 route serves an IdP: create, deactivate, refuse a wrong token", async ({ cli, stack, page, shot }) => {
  const issued = await cli("scim", "token", "issue", "okta-e2e");
  expect(issued.code, issued.stderr).toBe(0);
  const token = issued.stdout.trim();
  const scim = (method: string, path: string, body?: unknown, bearer = token) =>
    fetch(`${stack.consoleUrl}/scim/v2${path}`, {
      method,
      headers: { authorization: `Bearer ${bearer}`, accept: "application/scim+json", ...(body ? { "content-type": "application/scim+json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
      redirect: "manual",
    });

  const created = await scim("POST", "/Users", {
    schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
    userName: "scim.e2e@example.com",
    name: { givenName: "Sam", familyName: "Provisioned" },
    emails: [{ primary: true, value: "scim.e2e@example.com", type: "work" }],
    active: true,
  });
  expect(created.status).toBe(201);
  expect(created.headers.get("content-type")).toContain("application/scim+json");
  const user = (await created.json()) as { id: string; active: boolean };
  expect(user.active).toBe(true);

  const off = await scim("PATCH", `/Users/${user.id}`, { schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], Operations: [{ op: "replace", value: { active: false } }] });
  expect(off.status).toBe(200);
  expect(((await off.json()) as { active: boolean }).active).toBe(false);
  const found = (await (await scim("GET", `/Users?filter=${encodeURIComponent('userName eq "scim.e2e@example.com"')}`)).json()) as { totalResults: number; Resources: Array<{ active: boolean }> };
  expect(found.totalResults).toBe(1);
  expect(found.Resources[0].active).toBe(false);

  const wrong = await scim("GET", "/Users", undefined, "ghscim_not-a-token");
  expect(wrong.status).toBe(401);
  expect(((await wrong.json()) as { schemas: string[] }).schemas).toEqual(["urn:ietf:params:scim:api:messages:2.0:Error"]);

  await page.goto("/users");
  await expect(page.getByRole("row", { name: /scim\.e2e@example\.com/ })).toBeVisible();
  await shot(page, "scim-users");
});
