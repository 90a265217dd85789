"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { describeError, useTRPC } from "../trpc/client";
import { ConfirmDialog } from "../ui/confirm-dialog";

export type DeletingConnection = { id: string; name: string; live: number };

/** Asks for the connection's name before deleting it, and says what ends with it. */
export function DeleteConnectionDialog({ target, onClose, onDeleted }: { target: DeletingConnection | null; onClose: () => void; onDeleted?: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const remove = useMutation(
    trpc.connections.delete.mutationOptions({
      onSuccess: () => {
        void queryClient.invalidateQueries({ queryKey: trpc.connections.pathKey() });
        void queryClient.invalidateQueries({ queryKey: trpc.access.pathKey() });
        onClose();
        onDeleted?.();
      },
    }),
  );
  return (
    <ConfirmDialog
      open={target !== null}
      title={`Delete ${target?.name ?? ""}?`}
      confirmWord={target?.name ?? ""}
      actionLabel="Delete connection"
      pending={remove.isPending}
      error={remove.error ? describeError(remove.error).message : undefined}
      onClose={() => (onClose(), remove.reset())}
      onConfirm={() => target && remove.mutate({ id: target.id, confirmName: target.name })}
    >
      <p>
        Its grants and guardrail policy are deleted with it.{" "}
        {target?.live ? (
          <strong className="font-medium text-rose-700">
            Its {target.live} live session{target.live === 1 ? "" : "s"} end{target.live === 1 ? "s" : ""} now, on every gateway.
          </strong>
        ) : (
          "Any session still open on it ends at once."
        )}{" "}
        Audit records and recordings stay.
      </p>
    </ConfirmDialog>
  );
}
