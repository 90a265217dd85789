import { hostname, userInfo } from "node:os";

/** Who ran this command, as changes record it: `cli:<OS user>@<host>`. */
export function cliActor(): string {
  let user: string;
  try {
    user = userInfo().username;
  } catch {
    user = process.env.USER ?? "unknown";
  }
  return `cli:${user}@${hostname()}`;
}
