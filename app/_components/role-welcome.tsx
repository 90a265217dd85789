import Link from "next/link";
import type { ConsoleRole } from "../../drizzle/schema/index";

const link = "font-medium text-brand hover:underline";

/** For members: nothing to configure; what they can do, and whom to ask for more. */
export function MemberWelcome() {
  return (
    <div className="space-y-3 rounded-lg border border-slate-200 bg-white p-5 text-sm text-slate-700">
      <p>
        You are signed in as a <strong>member</strong>: there is nothing for you to configure here.
      </p>
      <ul className="list-disc space-y-1.5 pl-5">
        <li>
          Need to use a database for a while? Ask for it on{" "}
          <Link href="/access-requests" className={link}>
            Access requests
          </Link>
          ; an approver decides, and the access ends by itself.
        </li>
        <li>Need to approve statements, or read sessions and the audit log? Ask an administrator for the approver or auditor role.</li>
      </ul>
    </div>
  );
}

/** One line under the counts telling each non-admin role where its work is. */
export function RoleHint({ role }: { role: ConsoleRole }) {
  if (role === "approver")
    return (
      <p className="text-sm text-slate-600">
        As an approver you decide on statements the guardrails hold, on{" "}
        <Link href="/reviews" className={link}>
          Reviews
        </Link>
        , and on requests for temporary access, on{" "}
        <Link href="/access-requests" className={link}>
          Access requests
        </Link>
        . You can also read the{" "}
        <Link href="/guardrails" className={link}>
          guardrails
        </Link>{" "}
        that decide what is held.
      </p>
    );
  if (role === "auditor")
    return (
      <p className="text-sm text-slate-600">
        As an auditor you can replay{" "}
        <Link href="/sessions" className={link}>
          Sessions
        </Link>{" "}
        and search the{" "}
        <Link href="/audit" className={link}>
          Audit log
        </Link>
        ; only administrators change the configuration.
      </p>
    );
  return null;
}
