"use client";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { Button } from "../ui/button";
import { Card } from "../ui/page";
import { DeleteConnectionDialog, type DeletingConnection } from "./delete-connection-dialog";

/** The edit page's delete, apart from the form so it is never pressed by mistake. */
export function ConnectionDangerZone({ connection }: { connection: DeletingConnection }) {
  const router = useRouter();
  const [open, setOpen] = useState(false);
  return (
    <Card title="Delete this connection">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <p className="max-w-xl text-sm text-slate-600">
          Removes the connection with its grants and guardrail policy; {connection.live ? `its ${connection.live} live session(s) end` : "sessions on it end"} at once.
        </p>
        <Button variant="danger" onClick={() => setOpen(true)}>
          Delete…
        </Button>
      </div>
      <DeleteConnectionDialog
        target={open ? connection : null}
        onClose={() => setOpen(false)}
        onDeleted={() => {
          router.push("/connections");
          router.refresh();
        }}
      />
    </Card>
  );
}
