import Link from "next/link";

/** Shown instead of a page the signed-in role may not open (its tRPC calls are refused too). */
export function Forbidden({ role, need }: { role: string; need: readonly string[] }) {
  return (
    <div role="alert" className="rounded-lg border border-amber-200 bg-white p-6">
      <h1 className="text-lg font-semibold text-slate-900">You cannot open this page</h1>
      <p className="mt-2 text-sm text-slate-600">
        It needs the {need.join(" or ")} role, and you are signed in as {role}. Ask an administrator for that role if you need it.
      </p>
      <Link href="/" className="mt-4 inline-block text-sm font-medium text-brand underline-offset-2 hover:underline">
        Back to the overview
      </Link>
    </div>
  );
}
