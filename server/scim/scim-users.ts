import { and, asc, count, eq, isNull, sql, type SQL } from "drizzle-orm";
import { scimGroupMembers, scimGroups, scimUsers } from "../../drizzle/schema/index";
import { syncScimPerson } from "../../core/scim/scim-people";
import type { ScimContext } from "./scim-context";
import { isObject, listResponse, optionalString, paging, parseEqFilter, readPatch, scimBoolean, ScimError, USER_SCHEMA } from "./scim-json";

type UserRow = typeof scimUsers.$inferSelect;
type UserFields = Pick<UserRow, "userName" | "email" | "externalId" | "displayName" | "givenName" | "familyName" | "active">;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const live = isNull(scimUsers.deletedAt);

export async function userResource(ctx: ScimContext, u: UserRow) {
  const groups = await ctx.db
    .select({ value: scimGroups.id, display: scimGroups.displayName })
    .from(scimGroupMembers)
    .innerJoin(scimGroups, eq(scimGroups.id, scimGroupMembers.groupId))
    .where(eq(scimGroupMembers.userId, u.id));
  const name = { givenName: u.givenName ?? undefined, familyName: u.familyName ?? undefined, formatted: [u.givenName, u.familyName].filter(Boolean).join(" ") || undefined };
  return {
    schemas: [USER_SCHEMA],
    id: u.id,
    ...(u.externalId ? { externalId: u.externalId } : {}),
    userName: u.userName,
    ...(name.givenName || name.familyName ? { name } : {}),
    ...(u.displayName ? { displayName: u.displayName } : {}),
    ...(u.email ? { emails: [{ value: u.email, type: "work", primary: true }] } : {}),
    active: u.active,
    groups: groups.map((g) => ({ ...g, $ref: `${ctx.base}/Groups/${g.value}` })),
    meta: { resourceType: "User", created: u.createdAt.toISOString(), lastModified: u.updatedAt.toISOString(), location: `${ctx.base}/Users/${u.id}`, version: `W/"${u.version}"` },
  };
}

export async function findUser(ctx: ScimContext, id: string): Promise<UserRow> {
  const [u] = UUID.test(id)
    ? await ctx.db
        .select()
        .from(scimUsers)
        .where(and(eq(scimUsers.id, id), live))
    : [];
  if (!u) throw new ScimError(404, `no user ${id}`);
  return u;
}

export async function listUsers(ctx: ScimContext, params: URLSearchParams) {
  const { startIndex, count: limit } = paging(params);
  const f = parseEqFilter(params.get("filter"), ["userName", "externalId", "id", "emails.value", "emails"]);
  let where: SQL | undefined = live;
  if (f?.attribute === "userName") where = and(live, eq(scimUsers.userName, f.value.toLowerCase()));
  else if (f?.attribute === "externalId") where = and(live, eq(scimUsers.externalId, f.value));
  else if (f?.attribute === "id") where = UUID.test(f.value) ? and(live, eq(scimUsers.id, f.value)) : sql`false`;
  else if (f) where = and(live, sql`lower(${scimUsers.email}) = ${f.value.toLowerCase()}`);
  const [{ n }] = await ctx.db.select({ n: count() }).from(scimUsers).where(where);
  const rows = limit
    ? await ctx.db
        .select()
        .from(scimUsers)
        .where(where)
        .orderBy(asc(scimUsers.createdAt), asc(scimUsers.id))
        .offset(startIndex - 1)
        .limit(limit)
    : [];
  return listResponse(await Promise.all(rows.map((u) => userResource(ctx, u))), n, startIndex);
}

/** A User body (POST or PUT) read into the fields Gatehouse keeps; other attributes are ignored. */
function readUser(body: unknown): UserFields {
  if (!isObject(body)) throw new ScimError(400, "the body must be a SCIM User (a JSON object)", "invalidSyntax");
  const userName = optionalString(body.userName, "userName")?.trim();
  if (!userName) throw new ScimError(400, "userName is required", "invalidValue");
  if (userName.length > 254 || /\s/.test(userName)) throw new ScimError(400, "userName must be 1-254 characters without spaces", "invalidValue");
  const name = body.name === undefined || body.name === null ? {} : body.name;
  if (!isObject(name)) throw new ScimError(400, "name must be an object", "invalidValue");
  return {
    userName: userName.toLowerCase(),
    email: readEmails(body.emails),
    externalId: optionalString(body.externalId, "externalId"),
    displayName: optionalString(body.displayName, "displayName"),
    givenName: optionalString(name.givenName, "name.givenName"),
    familyName: optionalString(name.familyName, "name.familyName"),
    active: body.active === undefined ? true : scimBoolean(body.active, "active"),
  };
}

function readEmails(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (!Array.isArray(value)) throw new ScimError(400, "emails must be an array", "invalidValue");
  const list = value.filter(isObject);
  const pick = list.find((e) => e.primary === true || e.primary === "true") ?? list.find((e) => e.type === "work") ?? list[0];
  const email = optionalString(pick?.value, "emails.value");
  if (email !== null && !/^[^\s@]+@[^\s@]+$/.test(email)) throw new ScimError(400, `"${email}" is not an e-mail address`, "invalidValue");
  return email?.toLowerCase() ?? null;
}

async function saveAndSync(ctx: ScimContext, action: string, before: UserRow | null, fields: UserFields, id?: string) {
  let row: UserRow;
  if (id && before && fields.userName !== before.userName) {
    const [clash] = await ctx.db
      .select({ id: scimUsers.id })
      .from(scimUsers)
      .where(and(eq(scimUsers.userName, fields.userName), sql`${scimUsers.id} <> ${id}`));
    if (clash) throw new ScimError(409, `a user with userName ${fields.userName} exists`, "uniqueness");
  }
  if (id) {
    [row] = await ctx.db
      .update(scimUsers)
      .set({ ...fields, version: sql`${scimUsers.version} + 1`, updatedAt: sql`now()` })
      .where(eq(scimUsers.id, id))
      .returning();
  } else {
    const [taken] = await ctx.db.select().from(scimUsers).where(eq(scimUsers.userName, fields.userName));
    if (taken && !taken.deletedAt) throw new ScimError(409, `a user with userName ${fields.userName} exists`, "uniqueness");
    // A user deleted before and provisioned again gets a fresh resource under the same row.
    [row] = taken
      ? await ctx.db
          .update(scimUsers)
          .set({ ...fields, deletedAt: null, createdAt: sql`now()`, updatedAt: sql`now()`, version: 1 })
          .where(eq(scimUsers.id, taken.id))
          .returning()
      : await ctx.db.insert(scimUsers).values(fields).returning();
  }
  const sync = await syncScimPerson(ctx.db, row.id, ctx.roleFromGroups);
  const verb = before && before.active && !row.active ? "deactivate" : before && !before.active && row.active ? "reactivate" : action;
  await ctx.audit({
    action: `console.scim.user.${verb}`,
    target: row.userName,
    message: describe(verb, row.userName, sync),
    before: before ? plain(before) : undefined,
    after: { ...plain(row), sync },
  });
  return userResource(ctx, row);
}

const plain = (u: UserRow) => ({ userName: u.userName, email: u.email, externalId: u.externalId, displayName: u.displayName, active: u.active });

function describe(verb: string, userName: string, s: Awaited<ReturnType<typeof syncScimPerson>>): string {
  const who = `${userName} (console account ${s.consoleUser ?? "none"}, identities ${s.identities.join(", ") || "none"})`;
  if (s.disabled) return `SCIM ${verb}: ${who} disabled; ${s.revokedKeys} key(s) revoked and live sessions ended`;
  return `SCIM ${verb}: ${who} active; groups ${s.groups.join(", ") || "none"}`;
}

export async function createUser(ctx: ScimContext, body: unknown) {
  return saveAndSync(ctx, "create", null, readUser(body));
}

export async function replaceUser(ctx: ScimContext, id: string, body: unknown) {
  const before = await findUser(ctx, id);
  return saveAndSync(ctx, "replace", before, readUser(body), id);
}

export async function patchUser(ctx: ScimContext, id: string, body: unknown) {
  const before = await findUser(ctx, id);
  const fields: UserFields = {
    userName: before.userName,
    email: before.email,
    externalId: before.externalId,
    displayName: before.displayName,
    givenName: before.givenName,
    familyName: before.familyName,
    active: before.active,
  };
  for (const op of readPatch(body)) {
    if (op.path === undefined) {
      if (!isObject(op.value)) throw new ScimError(400, "an operation without a path needs an object value", "invalidValue");
      for (const [key, value] of Object.entries(op.value)) setUserAttribute(fields, key, op.op === "remove" ? null : value);
    } else setUserAttribute(fields, op.path, op.op === "remove" ? null : op.value);
  }
  return saveAndSync(ctx, "patch", before, fields, id);
}

/** One attribute by its SCIM path; attributes Gatehouse does not keep (title, enterprise extension...) are ignored. */
function setUserAttribute(f: UserFields, path: string, value: unknown): void {
  const p = path.replace(/^urn:ietf:params:scim:schemas:core:2\.0:User:/i, "").toLowerCase();
  if (p === "active") f.active = value === null ? false : scimBoolean(value, "active");
  else if (p === "username") {
    const v = optionalString(value, "userName")?.trim();
    if (!v || /\s/.test(v)) throw new ScimError(400, "userName must be 1-254 characters without spaces", "invalidValue");
    f.userName = v.toLowerCase();
  } else if (p === "displayname") f.displayName = optionalString(value, "displayName");
  else if (p === "externalid") f.externalId = optionalString(value, "externalId");
  else if (p === "name.givenname") f.givenName = optionalString(value, "name.givenName");
  else if (p === "name.familyname") f.familyName = optionalString(value, "name.familyName");
  else if (p === "name") {
    const n = value === null ? {} : value;
    if (!isObject(n)) throw new ScimError(400, "name must be an object", "invalidValue");
    f.givenName = optionalString(n.givenName, "name.givenName");
    f.familyName = optionalString(n.familyName, "name.familyName");
  } else if (p === "emails") f.email = readEmails(value === null ? null : Array.isArray(value) ? value : [value]);
  else if (/^emails\[.*\]\.value$/.test(p)) f.email = readEmails(value === null ? null : [{ value }]);
}

export async function deleteUser(ctx: ScimContext, id: string) {
  const before = await findUser(ctx, id);
  await ctx.db
    .update(scimUsers)
    .set({ active: false, deletedAt: sql`now()`, updatedAt: sql`now()` })
    .where(eq(scimUsers.id, id));
  await ctx.db.delete(scimGroupMembers).where(eq(scimGroupMembers.userId, id));
  const sync = await syncScimPerson(ctx.db, id, ctx.roleFromGroups);
  await ctx.audit({ action: "console.scim.user.delete", target: before.userName, message: describe("delete", before.userName, sync), before: plain(before), after: { sync } });
}
