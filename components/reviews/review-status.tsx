import { Badge } from "../ui/page";

const TONE = { pending: "amber", approved: "green", rejected: "red", expired: "slate", cancelled: "slate" } as const;
const LABEL = { pending: "waiting", approved: "approved", rejected: "rejected", expired: "timed out", cancelled: "cancelled" } as const;

export function ReviewStatus({ status }: { status: keyof typeof TONE }) {
  return <Badge tone={TONE[status]}>{LABEL[status]}</Badge>;
}

/** "4 min 10 s left" for a waiting review, from the server's clock so a skewed laptop does not lie. */
export function timeLeft(expiresAt: Date, serverNow: Date, fetchedAt: number): string {
  const ms = expiresAt.getTime() - (serverNow.getTime() + (Date.now() - fetchedAt));
  if (ms <= 0) return "timing out";
  const s = Math.ceil(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)} min ${s % 60} s left` : `${s} s left`;
}
