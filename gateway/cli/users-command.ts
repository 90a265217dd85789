import { asc, eq, sql } from "drizzle-orm";
import type { Db } from "../../drizzle/client";
import { consoleUsers } from "../../drizzle/schema/index";
import { addConsoleUser, CONSOLE_ROLES, normaliseEmail, type ConsoleRole } from "../../core/users/console-users";
import { generatePassword } from "../../core/users/generate-password";

export const USERS_USAGE = `  users add <email> --role admin|approver|auditor|member [--groups g1,g2] [--password-stdin]
                                                       add (or reset) a console account; prints a generated password unless one comes on stdin
  users list [--json]                                  console accounts and their roles
  users set-role <email> <role>                        change a person's console role
  users disable <email>                                stop a person signing in to the console`;

type Out = (line: string) => void;

export function parseRole(role: string | undefined): ConsoleRole {
  if (!role || !(CONSOLE_ROLES as readonly string[]).includes(role)) throw new Error(`--role must be one of ${CONSOLE_ROLES.join(", ")}`);
  return role as ConsoleRole;
}

export async function runUsersCommand(
  db: Db,
  sub: string | undefined,
  args: string[],
  opts: { role?: string; json?: boolean; passwordStdin?: boolean; groups?: string; stdin: () => Promise<string> },
  out: Out,
) {
  switch (sub) {
    case "add": {
      if (!args[0]) throw new Error("users add needs an e-mail address");
      const role = parseRole(opts.role);
      const password = opts.passwordStdin ? (await opts.stdin()).replace(/\r?\n$/, "") : generatePassword();
      const groups = opts.groups
        ?.split(",")
        .map((g) => g.trim())
        .filter(Boolean);
      const user = await addConsoleUser(db, { email: args[0], role, password, groups });
      out(`console account ${user.email} (${user.role}) is ready`);
      if (!opts.passwordStdin) out(`password (shown once): ${password}`);
      return;
    }
    case "list": {
      const rows = await db.select().from(consoleUsers).orderBy(asc(consoleUsers.email));
      for (const u of rows) {
        const view = { email: u.email, role: u.role, groups: u.groups, source: u.source, lastSignInAt: u.lastSignInAt, disabled: Boolean(u.disabledAt) };
        out(opts.json ? JSON.stringify(view) : `${u.email}\t${u.role}\t${u.source}${u.disabledAt ? "\tdisabled" : ""}`);
      }
      return;
    }
    case "set-role":
    case "disable": {
      if (!args[0]) throw new Error(`users ${sub} needs an e-mail address`);
      const email = normaliseEmail(args[0]);
      const set = sub === "disable" ? { disabledAt: sql`now()` } : { role: parseRole(args[1]) };
      const [row] = await db.update(consoleUsers).set(set).where(eq(consoleUsers.email, email)).returning();
      if (!row) throw new Error(`no console account for ${email}`);
      return out(sub === "disable" ? `${email} can no longer sign in` : `${email} is now ${row.role}`);
    }
    default:
      throw new Error(`unknown users command "${sub ?? ""}"`);
  }
}
