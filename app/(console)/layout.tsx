import type { ReactNode } from "react";
import { redirect } from "next/navigation";
import { currentUser } from "../../server/auth/current-user";
import { auth, signOut } from "../../server/auth/index";
import { samlLogoutUrl } from "../../server/auth/saml/saml-logout";
import { ConsoleShell } from "../../components/shell/console-shell";

// Every console page depends on who is signed in: never prerendered.
export const dynamic = "force-dynamic";

export default async function ConsoleLayout({ children }: { children: ReactNode }) {
  const user = await currentUser();
  if (!user) redirect("/sign-in");
  async function signOutAction() {
    "use server";
    // Signed in through SAML with a provider that has single logout: end the session there too.
    const session = await auth();
    const idpLogout = session?.saml ? await samlLogoutUrl(session.saml) : undefined;
    if (!idpLogout) return void (await signOut({ redirectTo: "/sign-in?signedOut=1" }));
    await signOut({ redirect: false });
    redirect(idpLogout);
  }
  return (
    <ConsoleShell user={{ email: user.email, name: user.name, role: user.role }} signOut={signOutAction}>
      {children}
    </ConsoleShell>
  );
}
