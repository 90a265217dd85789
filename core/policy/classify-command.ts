import { parse, type ParseEntry } from "shell-quote";
import { plainCommand, type Command } from "./command";

// Words that run the command after them (with their own options first).
const WRAPPERS = new Set(["sudo", "doas", "env", "nohup", "time", "nice", "ionice", "exec", "command", "builtin", "xargs", "timeout", "stdbuf", "setsid", "chroot", "watch", "strace", "busybox"]);
const SHELLS = new Set(["sh", "bash", "dash", "zsh", "ksh", "ash", "fish"]);
const SEPARATORS = new Set([";", "&&", "||", "|", "&", "|&", ";;", "(", ")", "<(", ">(", "\n"]);
// Reserved words before a command (`if rm ...`, `then rm ...`, `{ rm ...; }`, `! rm`): the command follows them.
const LEADING_RESERVED = new Set(["!", "{", "}", "if", "then", "else", "elif", "fi", "do", "done", "while", "until", "esac", "coproc"]);
// Reserved words whose simple command names variables, words or a function, not a program to run.
const HEADERS = new Set(["for", "select", "case", "function", "in"]);

/** A word of a simple command: `glob` when unquoted `*`/`?` make it a pattern; `input` when it is what a `<`, `<<` or `<<<` feeds the command (a file, a here-document's end word, a here-string). */
type Word = { text: string; glob: boolean; input?: boolean };
/** A simple command's words; `piped` when its input is the previous command's output (`a | b`). */
type SimpleCommand = Word[] & { piped?: boolean };

// Options of wrappers that take a value (`nice -n 10 rm`): the value is not the program.
const WRAPPER_VALUES: Record<string, RegExp> = {
  sudo: /^-[ugCDhprTU]$/,
  doas: /^-[uC]$/,
  nice: /^-n$/,
  ionice: /^-[cnpt]$/,
  timeout: /^-[sk]$/,
  xargs: /^-[IinLPdEsa]$/,
  env: /^-[uCS]$/,
  watch: /^-[nd]$/,
  strace: /^-[oepsEu]$/,
  exec: /^-a$/,
  time: /^-[fo]$/,
};
// Wrappers whose first operand comes before the program: a duration, a new root.
const WRAPPER_OPERANDS: Record<string, number> = { timeout: 1, chroot: 1 };

/**
 * Classifies a shell command line for the guardrail engine, the way `classifyStatement` does SQL:
 * each simple command of a list or pipeline (`a; b && c | d`, `$(...)`, `bash -c '...'`, `eval ...`,
 * `find -exec ...`, behind sudo/env/xargs/timeout... and reserved words such as `if`, `then`, `do`,
 * `{`, `!`) becomes a kind made of its program and its non-option words, so a `kinds` rule `["rm"]`
 * or `["kubectl delete"]` matches `sudo rm -rf /x` and `ls; kubectl -n prod delete pod x` (the
 * program with the words from any later position is a kind too, since an option's value cannot be
 * told from a subcommand; so is what follows a wrapper's options, `nice -n 10 rm`). A program the
 * text does not name (`$cmd`, `$(echo rm)`, a glob `/bin/r?`, a script a shell reads from its input:
 * `echo ... | sh`) makes `unknownRuns`: deny and review `kinds` rules meet it. Best effort by nature
 * (an interpreter can run anything: `python3 -c ...`); the `regex` condition reads the raw text too.
 */
export function classifyCommand(line: string, depth = 0, opts: { terminal?: boolean } = {}): Command {
  const runs: string[] = [];
  let unknownRuns = false;
  for (const words of simpleCommands(line)) {
    const r = commandRuns(words, depth, opts.terminal === true);
    runs.push(...r.runs);
    unknownRuns ||= r.unknown;
  }
  const c = { ...plainCommand(line, runs[0] ?? "EMPTY"), runs: [...new Set(runs.slice(1))].filter((k) => k !== runs[0]) };
  return unknownRuns ? { ...c, unknownRuns } : c;
}

/** The kinds one simple command runs; `unknown` when its program cannot be told from the text. */
function commandRuns(words: SimpleCommand, depth: number, terminal: boolean): { runs: string[]; unknown: boolean } {
  const runs: string[] = [];
  const later: string[] = [];
  let unknown = false;
  let i = 0;
  // Reserved words, leading VAR=value assignments, and wrappers with their options.
  for (;;) {
    while (i < words.length && LEADING_RESERVED.has(words[i].text)) i++;
    while (i < words.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[i].text)) i++;
    const w = programName(words[i]?.text);
    if (i < words.length && WRAPPERS.has(w)) {
      i++;
      let unsure = false;
      while (i < words.length && words[i].text.startsWith("-") && words[i].text !== "--") {
        const value = WRAPPER_VALUES[w]?.test(words[i].text) === true;
        unsure ||= !value && !words[i].text.includes("=");
        i += value ? 2 : 1;
      }
      if (words[i]?.text === "--") i++;
      i += WRAPPER_OPERANDS[w] ?? 0;
      // After an option not known to stand alone, its value may be the next word (`timeout --signal KILL 5 rm`): the word after may be the program too.
      if (unsure && depth < 3 && i + 1 < words.length && !words[i + 1].text.startsWith("-")) later.push(...commandRuns(words.slice(i + 1), depth + 1, terminal).runs);
      continue;
    }
    break;
  }
  if (i >= words.length || HEADERS.has(words[i].text)) return { runs: later, unknown };
  const programWord = words[i];
  const program = programName(programWord.text);
  const rest = words.slice(i + 1).map((w) => w.text);
  // `$cmd`, `$(...)`, backticks, a glob (`/bin/r?`, `/bin/r[m]`): bash decides the program at run time.
  // A bracket pair (a glob) found with indexOf: `\[.*\]` retried from every `[` of a long word.
  if (programWord.glob || /[$`]/.test(programWord.text) || bracketPair(programWord.text)) unknown = true;
  if ((SHELLS.has(program) || program === "eval") && depth < 3) {
    const c = rest.indexOf("-c");
    const flag = rest.findIndex((w) => /^-[a-z]*c[a-z]*$/.test(w));
    const script = program === "eval" ? rest.join(" ") : c >= 0 ? rest[c + 1] : flag >= 0 ? rest[flag + 1] : undefined;
    if (script !== undefined) {
      const inner = classifyCommand(script, depth + 1, { terminal });
      runs.push(program.toUpperCase(), ...(inner.kind === "EMPTY" ? [] : [inner.kind]), ...inner.runs, ...later);
      return { runs, unknown: unknown || inner.unknownRuns === true };
    }
    // No script given and no file to run, or -s: the shell reads its commands from its input (`echo ... | sh`,
    // `bash <<< ...`, `sh < x`), unjudged; but a shell typed at a terminal (`terminal`) reads what is
    // typed next, which the gateway judges line by line as it does this one.
    const operands = words.slice(i + 1).filter((w) => !w.text.startsWith("-") && !w.input);
    const readsTerminal = terminal && !words.piped && !words.some((w) => w.input);
    if (program !== "eval" && (operands.length === 0 || rest.some((w) => /^-[a-z]*s[a-z]*$/.test(w))) && !readsTerminal) unknown = true;
  }
  const words2 = rest.filter((w) => !w.startsWith("-"));
  runs.push([program, ...words2].join(" ").toUpperCase());
  // An option's value reads like a word (`kubectl -n prod delete pod`): the program followed by
  // the words from each later position on is a kind too, so `kubectl delete` still matches.
  for (let k = 1; k < Math.min(words2.length, 8); k++) runs.push([program, ...words2.slice(k)].join(" ").toUpperCase());
  // find's -exec, -execdir, -ok and -okdir run the words after them, up to `;` or `+`.
  if (program === "find" && depth < 3)
    for (let k = 0; k < rest.length; k++)
      if (/^-(exec|execdir|ok|okdir)$/.test(rest[k])) {
        const end = rest.findIndex((w, j) => j > k && (w === ";" || w === "+" || w === "\\;"));
        const inner = commandRuns(
          rest.slice(k + 1, end < 0 ? undefined : end).map((text) => ({ text, glob: false })),
          depth + 1,
          terminal,
        );
        runs.push(...inner.runs);
        unknown ||= inner.unknown;
      }
  return { runs: [...runs, ...later], unknown };
}

/** `/usr/bin/rm` and `\rm` run rm. */
const programName = (w: string | undefined) => (w ?? "").replace(/^\\/, "").split("/").at(-1)!.toLowerCase();

/** The simple commands of a line, each as its words (command substitutions included as their own commands). */
function simpleCommands(line: string): SimpleCommand[] {
  const out: SimpleCommand[] = [];
  let current: SimpleCommand = [];
  let piped = false;
  const flush = () => {
    if (current.length) out.push(current);
    current = [];
    current.piped = piped;
  };
  // shell-quote keeps `$(...)` and backticks inside words: lift them out as commands of their own.
  for (const sub of substitutions(line)) out.push(...simpleCommands(sub));
  // `$((6*7))` is arithmetic: a number to the command, not a command (nor parentheses and a glob).
  const entries: ParseEntry[] = parse(line.replace(ARITHMETIC, "0").replace(/\r?\n/g, " ; "), (name) => `$${name}`);
  let input = false;
  for (const e of entries) {
    if (typeof e === "string") {
      const words = braceList(e);
      if (input) for (const w of words) w.input = true;
      current.push(...words);
      input = false;
    } else if ("op" in e) {
      input = e.op === "<" || e.op === "<<" || e.op === "<<<";
      if (e.op === "glob") current.push({ text: (e as { pattern: string }).pattern, glob: true });
      else if (SEPARATORS.has(e.op)) {
        piped = e.op === "|" || e.op === "|&";
        flush();
        piped = false;
      }
      // redirections (>, <, >>, 2>&1...) leave the command as it is; their target word stays a word
    } else if ("comment" in e) break;
  }
  flush();
  return out;
}

const ARITHMETIC = /\$\(\((?:[^()]|\([^()]*\))*\)\)/g;

/** A word that is a brace list, `{rm,-rf,/x}`, is the words bash expands it to; other words are themselves. */
function braceList(text: string): Word[] {
  const m = /^\{([^{}]*,[^{}]*)\}$/.exec(text);
  return (m ? m[1].split(",") : [text]).map((t) => ({ text: t, glob: false }));
}

function substitutions(line: string): string[] {
  const subs: string[] = [];
  const text = line.replace(ARITHMETIC, "0"); // `$((6*7))` is arithmetic, not a command
  const re = /\$\(([^()]*(?:\([^()]*\)[^()]*)*)\)|`([^`]*)`/g;
  for (let m; (m = re.exec(text));) subs.push(m[1] ?? m[2]);
  return subs;
}

/** Whether a `[` comes before a `]` on one line (a glob class): linear, unlike `/\[.*\]/` over a word of thousands of `[`. */
function bracketPair(text: string): boolean {
  let close = -1; // the first `]` after `open` (still the first for a later `open` before it)
  for (let open = text.indexOf("["); open !== -1;) {
    if (close < open) close = text.indexOf("]", open);
    if (close === -1) return false;
    const newline = text.indexOf("\n", open);
    if (newline === -1 || newline > close) return true;
    open = text.indexOf("[", newline);
  }
  return false;
}
