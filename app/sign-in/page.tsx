import { headers } from "next/headers";
import { redirect } from "next/navigation";
import { AuthError } from "next-auth";
import { currentUser } from "../../server/auth/current-user";
import { signIn } from "../../server/auth/index";
import { parseConsoleEnv } from "../../server/env";
import { signInElsewhere } from "../../server/auth/sign-in-host";
import { safeNext } from "../../server/auth/safe-next";
import { SAML_REFUSAL_MESSAGES } from "../../server/auth/saml/refusal-messages";
import { buttonClass } from "../../components/ui/button";
import { Field, TextInput } from "../../components/ui/field";

export const dynamic = "force-dynamic";

const MESSAGES: Record<string, string> = {
  CredentialsSignin: "That e-mail and password do not match an active account.",
  AccessDenied: "Your account is disabled. Ask a Gatehouse administrator.",
  NoEmail: "Your identity provider did not send an e-mail address; Gatehouse needs one to know who you are.",
  Configuration: "Sign-in is misconfigured on the server; the console's log says why.",
  ...SAML_REFUSAL_MESSAGES,
};

export default async function SignInPage({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  const params = await searchParams;
  const h = await headers();
  const elsewhere = signInElsewhere(process.env.AUTH_URL, h.get("x-forwarded-host") ?? h.get("host"), params);
  if (elsewhere) redirect(elsewhere);
  if (await currentUser()) redirect(safeNext(params.callbackUrl));
  const env = parseConsoleEnv();
  const error = params.error ? (MESSAGES[params.error] ?? "Sign-in failed. Try again.") : undefined;

  async function localSignIn(form: FormData) {
    "use server";
    try {
      await signIn("local", { email: form.get("email"), password: form.get("password"), redirectTo: safeNext(String(form.get("next") ?? "")) });
    } catch (err) {
      // A successful sign-in "throws" the redirect; only real auth failures are caught here.
      if (err instanceof AuthError) redirect(`/sign-in?error=${err.type === "CredentialsSignin" ? "CredentialsSignin" : "Configuration"}`);
      throw err;
    }
  }
  async function oidcSignIn() {
    "use server";
    await signIn("oidc", { redirectTo: safeNext(params.callbackUrl) });
  }

  return (
    <main className="flex min-h-screen items-center justify-center px-4 py-10">
      <div className="w-full max-w-sm">
        <p className="text-center text-lg font-semibold text-brand">Gatehouse</p>
        <div className="mt-4 rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
          <h1 className="text-base font-semibold">Sign in to the console</h1>
          {params.signedOut ? <p className="mt-2 text-sm text-slate-500">You are signed out.</p> : null}
          {error ? (
            <p role="alert" className="mt-3 rounded-md bg-rose-50 px-3 py-2 text-sm text-rose-700">
              {error}
            </p>
          ) : null}
          {env.samlSignIn ? (
            <form action="/api/saml/login" method="get" className="mt-4">
              <input type="hidden" name="callbackUrl" value={safeNext(params.callbackUrl)} />
              <button type="submit" className={`${buttonClass("primary")} w-full`}>
                Sign in with {env.samlSignIn.displayName}
              </button>
            </form>
          ) : null}
          {env.oidcSignIn ? (
            <form action={oidcSignIn} className="mt-4">
              <button type="submit" className={`${buttonClass(env.samlSignIn ? "secondary" : "primary")} w-full`}>
                Sign in with single sign-on
              </button>
            </form>
          ) : null}
          {env.samlSignIn || env.oidcSignIn ? <p className="mt-3 text-center text-xs uppercase tracking-wide text-slate-400">or with a local account</p> : null}
          <form action={localSignIn} className="mt-4 space-y-3">
            <input type="hidden" name="next" value={params.callbackUrl ?? ""} />
            <Field label="E-mail" name="email">
              <TextInput name="email" type="email" autoComplete="username" required />
            </Field>
            <Field label="Password" name="password">
              <TextInput name="password" type="password" autoComplete="current-password" required />
            </Field>
            <button type="submit" className={`${buttonClass(env.oidcSignIn || env.samlSignIn ? "secondary" : "primary")} w-full`}>
              Sign in
            </button>
          </form>
        </div>
        <p className="mt-4 text-center text-xs text-slate-500">
          No account yet? An administrator adds one with <code className="font-mono">npx gatehouse users add you@example.com --role auditor</code>.
        </p>
      </div>
    </main>
  );
}
