"use client";
import { useQuery } from "@tanstack/react-query";
import { describeError, useTRPC } from "../trpc/client";
import { Card, ErrorBox, LoadingRows } from "../ui/page";
import { AddUserForm } from "./add-user-form";
import { UsersTable } from "./users-table";

/** Console accounts: add a local one (password shown once), change role and groups, disable, reset a password. */
export function UserManager({ me }: { me: string }) {
  const trpc = useTRPC();
  const query = useQuery(trpc.users.list.queryOptions());
  return (
    <div className="space-y-5">
      <Card title="Add a local account">
        <AddUserForm />
      </Card>
      {query.isPending ? <LoadingRows /> : null}
      {query.isError ? <ErrorBox message={describeError(query.error).message} retry={() => void query.refetch()} /> : null}
      {query.data ? <UsersTable users={query.data.users} identities={query.data.identities} me={me} /> : null}
    </div>
  );
}
