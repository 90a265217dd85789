import type { Db } from "../../drizzle/client";
import { verifyScimBearer } from "../../core/scim/scim-tokens";
import type { RoleFromGroups } from "../../core/scim/scim-people";
import { appendConsoleEvent } from "../audit/append-console-event";
import type { ScimContext } from "./scim-context";
import { resourceTypes, schemas, scimErrorResponse, ScimError, scimResponse, serviceProviderConfig, listResponse } from "./scim-json";
import { createUser, deleteUser, findUser, listUsers, patchUser, replaceUser, userResource } from "./scim-users";
import { createGroup, deleteGroup, findGroup, groupResource, listGroups, patchGroup, replaceGroup } from "./scim-groups";

export type ScimDeps = { db: Db; auditKey: Buffer; roleFromGroups: RoleFromGroups };

const MAX_BODY = 1024 * 1024;

/**
 * The SCIM 2.0 service provider at /scim/v2 (app/scim/v2/[[...path]]/route.ts hands every request
 * here): bearer-authenticated with a SCIM token, every change audited in the console's stream as
 * `console.scim.*` with the token's name as the actor.
 */
export async function handleScim(req: Request, deps: ScimDeps): Promise<Response> {
  const url = new URL(req.url);
  const at = url.pathname.indexOf("/scim/v2");
  const base = url.origin + url.pathname.slice(0, at + "/scim/v2".length);
  const segments = url.pathname
    .slice(at + "/scim/v2".length)
    .split("/")
    .filter(Boolean)
    .map(decodeURIComponent);
  try {
    const token = await verifyScimBearer(deps.db, req.headers.get("authorization"));
    if (!token) {
      await appendConsoleEvent(deps.db, deps.auditKey, {
        action: "console.scim.auth",
        outcome: "denied",
        actor: "scim",
        message: `SCIM request refused: no valid SCIM token (${req.method} ${url.pathname})`,
      });
      throw new ScimError(401, "a valid SCIM bearer token is required (gatehouse scim token issue <name>)");
    }
    const ctx: ScimContext = {
      db: deps.db,
      base,
      roleFromGroups: deps.roleFromGroups,
      audit: (e) => appendConsoleEvent(deps.db, deps.auditKey, { ...e, outcome: "ok", actor: `scim:${token.name}` }),
    };
    return await route(ctx, req, url, segments);
  } catch (err) {
    if (err instanceof ScimError) return scimErrorResponse(err);
    console.error(`[scim] ${req.method} ${url.pathname}: ${(err as Error).stack ?? err}`);
    return scimErrorResponse(new ScimError(500, "the SCIM request failed; see the console's log"));
  }
}

async function readBody(req: Request): Promise<unknown> {
  const type = req.headers.get("content-type") ?? "";
  if (!/^application\/(scim\+)?json\b/i.test(type)) throw new ScimError(400, "the body must be application/scim+json", "invalidSyntax");
  const text = await req.text();
  if (text.length > MAX_BODY) throw new ScimError(413, "the body is too large");
  try {
    return JSON.parse(text);
  } catch {
    throw new ScimError(400, "the body is not valid JSON", "invalidSyntax");
  }
}

async function route(ctx: ScimContext, req: Request, url: URL, [type, id, ...more]: string[]): Promise<Response> {
  const m = req.method;
  const ok = (body: unknown, status = 200) => scimResponse(status, body);
  if (more.length) throw new ScimError(404, `no such SCIM endpoint ${url.pathname}`);
  if (type === "ServiceProviderConfig" && m === "GET" && !id) return ok(serviceProviderConfig(ctx.base));
  if (type === "ResourceTypes" && m === "GET") {
    const all = resourceTypes(ctx.base);
    if (!id) return ok(listResponse(all, all.length, 1));
    const one = all.find((r) => r.id === id);
    if (!one) throw new ScimError(404, `no resource type ${id}`);
    return ok(one);
  }
  if (type === "Schemas" && m === "GET") {
    const all = schemas(ctx.base);
    if (!id) return ok(listResponse(all, all.length, 1));
    const one = all.find((s) => s.id === id);
    if (!one) throw new ScimError(404, `no schema ${id}`);
    return ok(one);
  }
  if (type === "Users") {
    if (!id && m === "GET") return ok(await listUsers(ctx, url.searchParams));
    if (!id && m === "POST") return ok(await createUser(ctx, await readBody(req)), 201);
    if (id && m === "GET") return ok(await userResource(ctx, await findUser(ctx, id)));
    if (id && m === "PUT") return ok(await replaceUser(ctx, id, await readBody(req)));
    if (id && m === "PATCH") return ok(await patchUser(ctx, id, await readBody(req)));
    if (id && m === "DELETE") return (await deleteUser(ctx, id), scimResponse(204));
  }
  if (type === "Groups") {
    if (!id && m === "GET") return ok(await listGroups(ctx, url.searchParams));
    if (!id && m === "POST") return ok(await createGroup(ctx, await readBody(req)), 201);
    if (id && m === "GET") return ok(await groupResource(ctx, await findGroup(ctx, id), !/\bmembers\b/i.test(url.searchParams.get("excludedAttributes") ?? "")));
    if (id && m === "PUT") return ok(await replaceGroup(ctx, id, await readBody(req)));
    if (id && m === "PATCH") return ok(await patchGroup(ctx, id, await readBody(req)));
    if (id && m === "DELETE") return (await deleteGroup(ctx, id), scimResponse(204));
  }
  if (["Users", "Groups", "ServiceProviderConfig", "ResourceTypes", "Schemas"].includes(type ?? "")) throw new ScimError(405, `${m} is not supported on ${url.pathname}`);
  throw new ScimError(404, `no such SCIM endpoint ${url.pathname}`);
}
