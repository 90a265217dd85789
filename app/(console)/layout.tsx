import type { ReactNode } from "react";
import { redirect } from "next/navigation";
import { currentUser } from "../../server/auth/current-user";
import { signOut } from "../../server/auth/index";
import { ConsoleShell } from "../../components/shell/console-shell";

// Every console page depends on who is signed in: never prerendered.
export const dynamic = "force-dynamic";

export default async function ConsoleLayout({ children }: { children: ReactNode }) {
  const user = await currentUser();
  if (!user) redirect("/sign-in");
  async function signOutAction() {
    "use server";
    await signOut({ redirectTo: "/sign-in?signedOut=1" });
  }
  return (
    <ConsoleShell user={{ email: user.email, name: user.name, role: user.role }} signOut={signOutAction}>
      {children}
    </ConsoleShell>
  );
}
