/** What a session of each protocol does, as people call it: SSH and terminals run commands, SQL runs statements, HTTP and Kubernetes serve requests, MCP clients call tools. */
export function activityNoun(protocol: string): { one: string; many: string } {
  if (protocol === "ssh" || protocol === "terminal") return { one: "command", many: "commands" };
  if (protocol === "http" || protocol === "kubernetes") return { one: "request", many: "requests" };
  if (protocol === "mcp") return { one: "tool call", many: "tool calls" };
  return { one: "statement", many: "statements" };
}

/** "1 command", "12 statements", "1,000+ requests". */
export function countActivity(protocol: string, n: number, more = false): string {
  const noun = activityNoun(protocol);
  return `${n.toLocaleString("en")}${more ? "+" : ""} ${n === 1 && !more ? noun.one : noun.many}`;
}
