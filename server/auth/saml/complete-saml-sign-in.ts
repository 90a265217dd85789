import { linkOidcIdentity, upsertSsoUser } from "../../../core/users/console-users";
import type { Db } from "../../../drizzle/client";
import { recordConsoleEvent } from "../../audit/record-console-event";
import { roleFromGroups } from "../role-from-groups";
import type { SamlClient } from "./saml-client";
import { mintSignInTicket } from "./sign-in-ticket";
import { validateSamlResponse, type SamlRefusal } from "./validate-saml-response";

export type SamlSignInOutcome = { ok: true; ticket: string; email: string } | { ok: false; reason: SamlRefusal | "disabled" };

type Deps = { db: Db; client: SamlClient; roleGroups: Record<"admin" | "approver" | "auditor", string[]>; ticketKey: Uint8Array };

/**
 * What the ACS route does with a posted SAMLResponse: validate it, record the person (groups
 * replaced, role from the groups as for OIDC), refuse a disabled account, audit every outcome as
 * `console.sign_in`, and mint the one-time ticket next-auth's `saml` provider redeems.
 */
export async function completeSamlSignIn(deps: Deps, samlResponse: unknown): Promise<SamlSignInOutcome> {
  const { db, client } = deps;
  const checked = await validateSamlResponse(client, db, samlResponse);
  if (!checked.ok) {
    await recordConsoleEvent(db, {
      action: "console.sign_in",
      outcome: "denied",
      actor: "saml",
      message: `SAML sign-in refused (${checked.reason}): ${checked.detail}`.slice(0, 1000),
    });
    return { ok: false, reason: checked.reason };
  }
  const p = checked.person;
  const role = roleFromGroups(p.groups, deps.roleGroups);
  const user = await upsertSsoUser(db, { source: "saml", email: p.email, name: p.name, groups: p.groups, roleFromGroups: role });
  await linkOidcIdentity(db, user.id, [p.email]);
  if (user.disabledAt) {
    await recordConsoleEvent(db, { action: "console.sign_in", outcome: "denied", actor: user.email, message: "SAML sign-in refused: the account is disabled" });
    return { ok: false, reason: "disabled" };
  }
  await recordConsoleEvent(db, {
    action: "console.sign_in",
    outcome: "ok",
    actor: user.email,
    message: `signed in through SAML (${client.idp.entityId}) as ${user.role}`,
  });
  const ticket = await mintSignInTicket(deps.ticketKey, { userId: user.id, nameId: p.nameId, nameIdFormat: p.nameIdFormat, sessionIndex: p.sessionIndex });
  return { ok: true, ticket, email: user.email };
}
