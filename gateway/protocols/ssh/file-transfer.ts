import { parse } from "shell-quote";

/**
 * The program of an exec request that is a file-transfer tool's server end, whose output is a binary
 * protocol the client's own tool reads (legacy scp's `scp -f`/`scp -t`, `rsync --server`, git's
 * pack and archive services): masking its output would corrupt the transfer (rsync then hangs on a
 * broken stream), so its standard output passes as it is, as SFTP's file contents do, and it is not
 * recorded as a terminal. Null for anything else, which is masked as any command: only one simple
 * command qualifies, with no shell operator, redirection, glob, substitution or expansion in it
 * (`scp -f x; cat customers.csv` would otherwise pass the `cat`'s output unmasked).
 */
export function fileTransferProgram(command: string): "scp" | "rsync" | "git" | null {
  // A backslash escapes one character as shell-quote reads it too (rsync escapes a space in a name so); a newline would end the command.
  if (/[$`\r\n]/.test(command)) return null;
  const words: string[] = [];
  for (const e of parse(command)) {
    if (typeof e !== "string") return null;
    words.push(e);
  }
  const [program, ...args] = words;
  if (program === "scp") return args.some((a) => /^-[a-zA-Z]*[ft][a-zA-Z]*$/.test(a)) ? "scp" : null;
  if (program === "rsync") return args[0] === "--server" ? "rsync" : null;
  if (program === "git-upload-pack" || program === "git-receive-pack" || program === "git-upload-archive") return args.length === 1 ? "git" : null;
  return null;
}
