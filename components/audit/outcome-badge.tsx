import { Badge } from "../ui/page";

const TONE = { ok: "green", denied: "amber", error: "red" } as const;

/** How a statement or event ended, with its SQLSTATE when it failed. */
export function OutcomeBadge({ outcome, sqlstate }: { outcome: keyof typeof TONE; sqlstate: string | null }) {
  return (
    <Badge tone={TONE[outcome]}>
      {outcome}
      {sqlstate ? ` · ${sqlstate}` : ""}
    </Badge>
  );
}
