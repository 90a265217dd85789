import type { ITerminalOptions } from "@xterm/xterm";

/**
 * How every xterm in the console looks. The line height leaves room below the baseline: at 1 (the
 * default) the rows cut off what hangs under it, so `tok_abc` showed as "tok abc" (underscores,
 * and the tails of g, j, p, q, y with some fonts).
 */
export const XTERM_LOOK = {
  fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace',
  lineHeight: 1.2,
  theme: { background: "#0f172a" },
} satisfies ITerminalOptions;
