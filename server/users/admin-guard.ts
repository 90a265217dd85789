/**
 * Whether a change would take the admin role away from an account that has it now (demotion or
 * disabling an active admin). Pure, so the rule is tested without a database.
 */
export function removesAdmin(before: { role: string; disabledAt: Date | null }, change: { role?: string; disabled?: boolean }): boolean {
  if (before.role !== "admin" || before.disabledAt) return false;
  return (change.role !== undefined && change.role !== "admin") || change.disabled === true;
}

export function lastAdminMessage(self: boolean): string {
  return self ? "you are the last active admin: make someone else admin before you step down or disable your account" : "this is the last active admin: make someone else admin first";
}
