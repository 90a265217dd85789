"use client";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { describeError, useTRPC } from "../trpc/client";
import { Button } from "../ui/button";
import { EmptyState } from "../ui/page";
import { announceIdentityCreated } from "./identity-created";

const NEEDS = {
  terminal: "A terminal runs as your own gateway identity, so guardrails, masking and the audit apply to you by name.",
  "ssh-keys": "An SSH key logs in as a gateway identity, so there is nobody to register yours for yet.",
};

/**
 * Said wherever a page needs the signed-in person's gateway identity and the account has none (a
 * terminal, SSH keys): an admin creates their own person identity in one click or links one on
 * Console users; anyone else is told who can do it for them.
 */
export function UnlinkedIdentity({ isAdmin, purpose }: { isAdmin: boolean; purpose: keyof typeof NEEDS }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const router = useRouter();
  const create = useMutation(
    trpc.users.createMyIdentity.mutationOptions({
      onSuccess: (data) => {
        // Said by IdentityCreatedNote, which outlives this component (the page re-renders as linked).
        announceIdentityCreated(data.identityName);
        void queryClient.invalidateQueries();
        router.refresh();
      },
    }),
  );
  const usersLink = (
    <Link href="/users" className="font-medium text-brand underline-offset-2 hover:underline">
      Console users
    </Link>
  );
  return (
    <EmptyState
      title="Your account is not linked to a gateway identity"
      action={
        isAdmin ? (
          <div className="space-y-2">
            <Button onClick={() => create.mutate()} disabled={create.isPending || create.isSuccess}>
              {create.isPending ? "Creating…" : "Create my gateway identity"}
            </Button>
            {create.isError ? (
              <p role="alert" className="text-sm text-rose-700">
                {describeError(create.error).message}
              </p>
            ) : null}
          </div>
        ) : undefined
      }
    >
      {NEEDS[purpose]} A person&apos;s identity is their own, apart from the agents&apos;, so the audit names you for what you do.{" "}
      {isAdmin ? (
        <>Create yours here (a person identity named by your e-mail), or link an existing one to your account on {usersLink}.</>
      ) : (
        "Ask an admin to create your gateway identity, or to link one to your account, on the Console users page."
      )}
    </EmptyState>
  );
}
