import "server-only";
import { hkdfSync } from "node:crypto";
import NextAuth, { type NextAuthConfig } from "next-auth";
import Credentials from "next-auth/providers/credentials";
import { z } from "zod";
import { linkOidcIdentity, upsertSsoUser, verifyLocalSignIn } from "../../core/users/console-users";
import { recordConsoleEvent } from "../audit/record-console-event";
import { getDb } from "../db";
import { parseConsoleEnv } from "../env";
import { secretKey } from "../secret-key";
import { eq } from "drizzle-orm";
import { consoleUsers } from "../../drizzle/schema/index";
import { redeemSignInTicket } from "./saml/sign-in-ticket";
import { samlTicketKey } from "./saml/saml-runtime";
import { readGroupsClaim, roleFromGroups } from "./role-from-groups";
import { recordSignIn, signInBlocked } from "./sign-in-throttle";

declare module "next-auth" {
  interface Session {
    user: { id: string; email: string; name?: string | null };
    /** Set when the person signed in through SAML: what a LogoutRequest to the provider names. */
    saml?: SamlSessionRef;
  }
  interface User {
    saml?: SamlSessionRef;
  }
}

type SamlSessionRef = { nameId: string; nameIdFormat: string; sessionIndex?: string };

const credentialsSchema = z.object({ email: z.string().min(1).max(254), password: z.string().min(1).max(256) });

/** Session cookies are signed with AUTH_SECRET, or a key derived from the Gatehouse secret key so `npm start` needs no setup. */
function sessionSecret(env: ReturnType<typeof parseConsoleEnv>): string {
  if (env.AUTH_SECRET) return env.AUTH_SECRET;
  return Buffer.from(hkdfSync("sha256", secretKey(), "gatehouse", "console session cookies", 32)).toString("base64url");
}

// Lazy: the configuration is read at the first request, never at build time.
function buildConfig(): NextAuthConfig {
  const env = parseConsoleEnv();
  const providers: NextAuthConfig["providers"] = [
    Credentials({
      id: "local",
      name: "Local account",
      credentials: { email: { label: "E-mail" }, password: { label: "Password", type: "password" } },
      async authorize(raw) {
        const input = credentialsSchema.safeParse(raw);
        if (!input.success) return null;
        if (signInBlocked(input.data.email)) {
          await recordConsoleEvent(getDb(), {
            action: "console.sign_in",
            outcome: "denied",
            actor: input.data.email.slice(0, 254),
            message: "local sign-in refused: too many failed attempts in 15 minutes",
          });
          return null;
        }
        const user = await verifyLocalSignIn(getDb(), input.data.email, input.data.password);
        recordSignIn(input.data.email, Boolean(user));
        await recordConsoleEvent(getDb(), {
          action: "console.sign_in",
          outcome: user ? "ok" : "denied",
          actor: user?.email ?? input.data.email.slice(0, 254),
          message: user ? "signed in with a local account" : "local sign-in refused: unknown account, wrong password or disabled",
        });
        return user ? { id: user.id, email: user.email, name: user.name } : null;
      },
    }),
  ];
  if (env.samlSignIn) providers.push(samlTicketProvider());
  if (env.oidcSignIn) {
    providers.push({
      id: "oidc",
      name: "Single sign-on",
      type: "oidc",
      issuer: env.oidcSignIn.issuer,
      clientId: env.oidcSignIn.clientId,
      clientSecret: env.oidcSignIn.clientSecret,
      authorization: { params: { scope: env.OIDC_SCOPES } },
      checks: ["pkce", "state", "nonce"],
    });
  }
  return {
    secret: sessionSecret(env),
    trustHost: true,
    // A wrong password is an everyday event: one line, not an error with a stack trace.
    logger: {
      error(error) {
        if (error.name === "CredentialsSignin") console.warn("[auth] sign-in refused: wrong email or password");
        else console.error(`[auth][error] ${error.name}: ${error.message}`);
      },
    },
    session: { strategy: "jwt", maxAge: env.GATEHOUSE_SESSION_HOURS * 3600 },
    pages: { signIn: "/sign-in", error: "/sign-in" },
    providers,
    callbacks: {
      async signIn({ account, profile }) {
        if (account?.provider !== "oidc") return true;
        if (!profile?.email) return "/sign-in?error=NoEmail";
        const groups = readGroupsClaim(profile[env.OIDC_GROUPS_CLAIM]);
        const user = await upsertSsoUser(getDb(), { source: "oidc", email: profile.email, name: profile.name ?? undefined, groups, roleFromGroups: roleFromGroups(groups, env.roleGroups) });
        await linkOidcIdentity(getDb(), user.id, [String(profile.preferred_username ?? ""), profile.email]);
        await recordConsoleEvent(getDb(), {
          action: "console.sign_in",
          outcome: user.disabledAt ? "denied" : "ok",
          actor: user.email,
          message: user.disabledAt ? "single sign-on refused: the account is disabled" : `signed in through ${env.oidcSignIn?.issuer} as ${user.role}`,
        });
        return user.disabledAt ? "/sign-in?error=AccessDenied" : true;
      },
      async jwt({ token, account, profile, user }) {
        if (account?.provider === "oidc" && profile?.email) {
          const row = await upsertSsoUser(getDb(), { source: "oidc", email: profile.email });
          token.uid = row.id;
        } else if (user?.id) {
          token.uid = user.id;
          if (user.saml) token.saml = user.saml;
        }
        return token;
      },
      session({ session, token }) {
        session.user.id = String(token.uid ?? "");
        if (token.saml) session.saml = token.saml as SamlSessionRef;
        return session;
      },
    },
  };
}

/**
 * The `saml` provider takes only a ticket the ACS route minted after validating the provider's
 * response (server/auth/saml/): signed with a console key, 60 seconds, redeemed once. Anything else
 * posted to /api/auth/callback/saml is refused.
 */
function samlTicketProvider() {
  return Credentials({
    id: "saml",
    name: "SAML",
    credentials: { ticket: {} },
    async authorize(raw) {
      const ticket = await redeemSignInTicket(samlTicketKey(), getDb(), raw?.ticket);
      const [user] = ticket ? await getDb().select().from(consoleUsers).where(eq(consoleUsers.id, ticket.userId)) : [];
      if (!ticket || !user || user.disabledAt) {
        await recordConsoleEvent(getDb(), {
          action: "console.sign_in",
          outcome: "denied",
          actor: user?.email ?? "saml",
          message: user ? "SAML sign-in refused: the account is disabled" : "SAML sign-in refused: the one-time ticket is forged, expired or already used",
        });
        return null;
      }
      return { id: user.id, email: user.email, name: user.name, saml: { nameId: ticket.nameId, nameIdFormat: ticket.nameIdFormat, sessionIndex: ticket.sessionIndex } };
    },
  });
}

export const { handlers, auth, signIn, signOut } = NextAuth(buildConfig);
