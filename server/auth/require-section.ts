import "server-only";
import { redirect } from "next/navigation";
import { canOpen, currentUser, SECTION_ROLES, type ConsoleUserContext, type Section } from "./current-user";

/** For a page: the signed-in user and whether their role may open the section (pages render Forbidden when not). */
export async function requireSection(section: Section): Promise<{ user: ConsoleUserContext; allowed: boolean; need: readonly string[] }> {
  const user = await currentUser();
  if (!user) redirect("/sign-in");
  return { user, allowed: canOpen(user.role, section), need: SECTION_ROLES[section] };
}
