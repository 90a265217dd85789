import { and, asc, count, eq, inArray, isNull, sql, type SQL } from "drizzle-orm";
import { scimGroupMembers, scimGroups, scimUsers } from "../../drizzle/schema/index";
import { scimGroupMemberIds, syncScimPerson } from "../../core/scim/scim-people";
import type { ScimContext } from "./scim-context";
import { GROUP_SCHEMA, isObject, listResponse, optionalString, paging, parseEqFilter, readPatch, ScimError } from "./scim-json";

type GroupRow = typeof scimGroups.$inferSelect;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function groupResource(ctx: ScimContext, g: GroupRow, withMembers = true) {
  const members = withMembers
    ? await ctx.db
        .select({ value: scimUsers.id, display: scimUsers.userName })
        .from(scimGroupMembers)
        .innerJoin(scimUsers, eq(scimUsers.id, scimGroupMembers.userId))
        .where(eq(scimGroupMembers.groupId, g.id))
    : [];
  return {
    schemas: [GROUP_SCHEMA],
    id: g.id,
    displayName: g.displayName,
    ...(g.externalId ? { externalId: g.externalId } : {}),
    ...(withMembers ? { members: members.map((m) => ({ ...m, $ref: `${ctx.base}/Users/${m.value}` })) } : {}),
    meta: { resourceType: "Group", created: g.createdAt.toISOString(), lastModified: g.updatedAt.toISOString(), location: `${ctx.base}/Groups/${g.id}`, version: `W/"${g.version}"` },
  };
}

export async function findGroup(ctx: ScimContext, id: string): Promise<GroupRow> {
  const [g] = UUID.test(id) ? await ctx.db.select().from(scimGroups).where(eq(scimGroups.id, id)) : [];
  if (!g) throw new ScimError(404, `no group ${id}`);
  return g;
}

export async function listGroups(ctx: ScimContext, params: URLSearchParams) {
  const { startIndex, count: limit } = paging(params);
  const f = parseEqFilter(params.get("filter"), ["displayName", "externalId", "id"]);
  let where: SQL | undefined;
  if (f?.attribute === "displayName") where = sql`lower(${scimGroups.displayName}) = ${f.value.toLowerCase()}`;
  else if (f?.attribute === "externalId") where = eq(scimGroups.externalId, f.value);
  else if (f) where = UUID.test(f.value) ? eq(scimGroups.id, f.value) : sql`false`;
  const withMembers = !/\bmembers\b/i.test(params.get("excludedAttributes") ?? "");
  const [{ n }] = await ctx.db.select({ n: count() }).from(scimGroups).where(where);
  const rows = limit
    ? await ctx.db
        .select()
        .from(scimGroups)
        .where(where)
        .orderBy(asc(scimGroups.createdAt), asc(scimGroups.id))
        .offset(startIndex - 1)
        .limit(limit)
    : [];
  return listResponse(await Promise.all(rows.map((g) => groupResource(ctx, g, withMembers))), n, startIndex);
}

/** Member references ([{ value: userId }]) checked against live SCIM users. */
async function readMembers(ctx: ScimContext, value: unknown): Promise<string[]> {
  if (value === undefined || value === null) return [];
  const list = Array.isArray(value) ? value : [value];
  const ids = list.map((m, i) => {
    const id = isObject(m) ? m.value : undefined;
    if (typeof id !== "string") throw new ScimError(400, `members[${i}].value must be a user id`, "invalidValue");
    return id;
  });
  const wanted = [...new Set(ids)];
  if (!wanted.length) return [];
  const bad = wanted.find((id) => !UUID.test(id));
  const found = bad
    ? []
    : await ctx.db
        .select({ id: scimUsers.id })
        .from(scimUsers)
        .where(and(inArray(scimUsers.id, wanted), isNull(scimUsers.deletedAt)));
  const missing = bad ?? wanted.find((id) => !found.some((f) => f.id === id));
  if (missing) throw new ScimError(400, `no user ${missing} to be a member`, "invalidValue");
  return wanted;
}

function readGroup(body: unknown): { displayName: string; externalId: string | null } {
  if (!isObject(body)) throw new ScimError(400, "the body must be a SCIM Group (a JSON object)", "invalidSyntax");
  const displayName = optionalString(body.displayName, "displayName")?.trim();
  if (!displayName || displayName.length > 128) throw new ScimError(400, "displayName is required (1-128 characters)", "invalidValue");
  return { displayName, externalId: optionalString(body.externalId, "externalId") };
}

/** Stores the group's name and members, then brings every person whose membership changed in line. */
async function save(ctx: ScimContext, action: string, before: GroupRow | null, fields: { displayName: string; externalId: string | null }, members: string[]) {
  const [clash] = await ctx.db.select({ id: scimGroups.id }).from(scimGroups).where(eq(scimGroups.displayName, fields.displayName));
  if (clash && clash.id !== before?.id) throw new ScimError(409, `a group named ${fields.displayName} exists`, "uniqueness");
  const oldMembers = before ? await scimGroupMemberIds(ctx.db, before.id) : [];
  const renamed = before && before.displayName !== fields.displayName;
  if (renamed) {
    // Out under the old name first, so the gateway group of that name loses these members.
    await ctx.db.delete(scimGroupMembers).where(eq(scimGroupMembers.groupId, before.id));
    for (const id of oldMembers) await syncScimPerson(ctx.db, id, ctx.roleFromGroups);
  }
  const [g] = before
    ? await ctx.db
        .update(scimGroups)
        .set({ ...fields, version: sql`${scimGroups.version} + 1`, updatedAt: sql`now()` })
        .where(eq(scimGroups.id, before.id))
        .returning()
    : await ctx.db.insert(scimGroups).values(fields).returning();
  await ctx.db.delete(scimGroupMembers).where(eq(scimGroupMembers.groupId, g.id));
  if (members.length)
    await ctx.db
      .insert(scimGroupMembers)
      .values(members.map((userId) => ({ groupId: g.id, userId })))
      .onConflictDoNothing();
  const changed = renamed ? members : [...members.filter((m) => !oldMembers.includes(m)), ...oldMembers.filter((m) => !members.includes(m))];
  for (const id of changed) await syncScimPerson(ctx.db, id, ctx.roleFromGroups);
  const names = async (ids: string[]) => (ids.length ? (await ctx.db.select({ n: scimUsers.userName }).from(scimUsers).where(inArray(scimUsers.id, ids))).map((r) => r.n) : []);
  await ctx.audit({
    action: `console.scim.group.${action}`,
    target: g.displayName,
    message: `SCIM group ${action}: ${g.displayName}, ${members.length} member(s)`,
    before: before ? { displayName: before.displayName, members: await names(oldMembers) } : undefined,
    after: { displayName: g.displayName, members: await names(members) },
  });
  return groupResource(ctx, g);
}

export async function createGroup(ctx: ScimContext, body: unknown) {
  const fields = readGroup(body);
  return save(ctx, "create", null, fields, await readMembers(ctx, (body as Record<string, unknown>).members));
}

export async function replaceGroup(ctx: ScimContext, id: string, body: unknown) {
  const before = await findGroup(ctx, id);
  const fields = readGroup(body);
  return save(ctx, "replace", before, fields, await readMembers(ctx, (body as Record<string, unknown>).members));
}

export async function patchGroup(ctx: ScimContext, id: string, body: unknown) {
  const before = await findGroup(ctx, id);
  const fields = { displayName: before.displayName, externalId: before.externalId };
  let members = await scimGroupMemberIds(ctx.db, id);
  for (const op of readPatch(body)) {
    const path = op.path?.trim();
    const one = path && /^members\[\s*value\s+eq\s+"([^"]+)"\s*\]$/i.exec(path);
    if (one && op.op === "remove") members = members.filter((m) => m !== one[1]);
    else if (path?.toLowerCase() === "members") {
      const given = op.op === "remove" && op.value === undefined ? members : await readMembers(ctx, op.value);
      if (op.op === "add") members = [...new Set([...members, ...given])];
      else if (op.op === "remove") members = members.filter((m) => !given.includes(m));
      else members = given;
    } else if (path === undefined) {
      if (!isObject(op.value)) throw new ScimError(400, "an operation without a path needs an object value", "invalidValue");
      if (op.value.displayName !== undefined) fields.displayName = readGroup({ displayName: op.value.displayName }).displayName;
      if (op.value.externalId !== undefined) fields.externalId = optionalString(op.value.externalId, "externalId");
      if (op.value.members !== undefined) {
        const given = await readMembers(ctx, op.value.members);
        members = op.op === "add" ? [...new Set([...members, ...given])] : given;
      }
    } else if (path.toLowerCase() === "displayname") fields.displayName = readGroup({ displayName: op.value }).displayName;
    else if (path.toLowerCase() === "externalid") fields.externalId = op.op === "remove" ? null : optionalString(op.value, "externalId");
    else throw new ScimError(400, `unsupported path ${path} for a group`, "invalidPath");
  }
  return save(ctx, "patch", before, fields, members);
}

export async function deleteGroup(ctx: ScimContext, id: string) {
  const before = await findGroup(ctx, id);
  const members = await scimGroupMemberIds(ctx.db, id);
  // Members leave first (their gateway membership of this group goes), then the group itself.
  await ctx.db.delete(scimGroupMembers).where(eq(scimGroupMembers.groupId, id));
  for (const m of members) await syncScimPerson(ctx.db, m, ctx.roleFromGroups);
  await ctx.db.delete(scimGroups).where(eq(scimGroups.id, id));
  await ctx.audit({ action: "console.scim.group.delete", target: before.displayName, message: `SCIM group delete: ${before.displayName} (${members.length} member(s) removed)` });
}
