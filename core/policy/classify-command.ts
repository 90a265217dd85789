import { parse, type ParseEntry } from "shell-quote";
import { plainCommand, type Command } from "./command";

// Words that run the command after them (with their own options first).
const WRAPPERS = new Set(["sudo", "doas", "env", "nohup", "time", "nice", "ionice", "exec", "command", "builtin", "xargs", "timeout", "stdbuf", "setsid", "chroot", "watch", "strace", "busybox"]);
const SHELLS = new Set(["sh", "bash", "dash", "zsh", "ksh", "ash", "fish"]);
const SEPARATORS = new Set([";", "&&", "||", "|", "&", "|&", ";;", "(", ")", "<(", ">(", "\n"]);

/**
 * Classifies a shell command line for the guardrail engine, the way `classifyStatement` does SQL:
 * each simple command of a list or pipeline (`a; b && c | d`, `$(...)`, `bash -c '...'`, behind
 * sudo/env/xargs/timeout...) becomes a kind made of its program and its non-option words, so a
 * `kinds` rule `["rm"]` or `["kubectl delete"]` matches `sudo rm -rf /x` and
 * `ls; kubectl -n prod delete pod x` (the program with the words from any later position is a kind too,
 * since an option's value cannot be told from a subcommand). Best effort by nature (a shell can build a command at run
 * time: `$(echo rm) -rf /`); the `regex` condition reads the raw text too.
 */
export function classifyCommand(line: string, depth = 0): Command {
  const runs: string[] = [];
  for (const words of simpleCommands(line)) {
    let i = 0;
    // Leading VAR=value assignments, and wrappers with their options.
    for (;;) {
      while (i < words.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[i])) i++;
      const w = programName(words[i]);
      if (i < words.length && WRAPPERS.has(w)) {
        i++;
        while (i < words.length && (words[i].startsWith("-") || (w === "timeout" && /^\d/.test(words[i])) || (w === "sudo" && /^-[ugCDhprTU]$/.test(words[i - 1] ?? "")))) i++;
        continue;
      }
      break;
    }
    if (i >= words.length) continue;
    const program = programName(words[i]);
    const rest = words.slice(i + 1);
    if (SHELLS.has(program) && depth < 3) {
      const c = rest.indexOf("-c");
      const script = c >= 0 ? rest[c + 1] : rest.find((w) => /^-[a-z]*c[a-z]*$/.test(w)) ? rest[rest.findIndex((w) => /^-[a-z]*c[a-z]*$/.test(w)) + 1] : undefined;
      if (script !== undefined) {
        runs.push(program.toUpperCase(), ...classifyCommand(script, depth + 1).runs);
        continue;
      }
    }
    const words2 = rest.filter((w) => !w.startsWith("-"));
    runs.push([program, ...words2].join(" ").toUpperCase());
    // An option's value reads like a word (`kubectl -n prod delete pod`): the program followed by
    // the words from each later position on is a kind too, so `kubectl delete` still matches.
    for (let k = 1; k < Math.min(words2.length, 8); k++) runs.push([program, ...words2.slice(k)].join(" ").toUpperCase());
  }
  return { ...plainCommand(line, runs[0] ?? "EMPTY"), runs: runs.slice(1) };
}

/** `/usr/bin/rm` and `\rm` run rm. */
const programName = (w: string | undefined) => (w ?? "").replace(/^\\/, "").split("/").at(-1)!.toLowerCase();

/** The simple commands of a line, each as its words (command substitutions included as their own commands). */
function simpleCommands(line: string): string[][] {
  const out: string[][] = [];
  let current: string[] = [];
  const flush = () => {
    if (current.length) out.push(current);
    current = [];
  };
  // shell-quote keeps `$(...)` and backticks inside words: lift them out as commands of their own.
  for (const sub of substitutions(line)) out.push(...simpleCommands(sub));
  const entries: ParseEntry[] = parse(line.replace(/\r?\n/g, " ; "), (name) => `$${name}`);
  for (const e of entries) {
    if (typeof e === "string") current.push(e);
    else if ("op" in e) {
      if (e.op === "glob") current.push((e as { pattern: string }).pattern);
      else if (SEPARATORS.has(e.op)) flush();
      // redirections (>, <, >>, 2>&1...) leave the command as it is; their target word stays a word
    } else if ("comment" in e) break;
  }
  flush();
  return out;
}

function substitutions(line: string): string[] {
  const subs: string[] = [];
  const re = /\$\(([^()]*(?:\([^()]*\)[^()]*)*)\)|`([^`]*)`/g;
  for (let m; (m = re.exec(line));) subs.push(m[1] ?? m[2]);
  return subs;
}
