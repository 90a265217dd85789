/** A command used wrongly: the CLI prints the message, then its help, and exits 64. */
export class UsageError extends Error {}
