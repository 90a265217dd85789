import { randomBytes } from "node:crypto";
import WebSocket from "ws";
import { issueTerminalTicket } from "../../core/terminal/terminal-tickets";
import { describePipelineContract, type ClientOutcome, type ContractAdapter, type ContractSession, type Refused } from "./pipeline-contract";
import { seedPostgresConnection } from "../support/seed";

// The browser terminal's WebSocket (/terminal on the gateway's HTTP port), driven as xterm.js does:
// keystrokes in, screen bytes out, JSON control messages. It runs psql on a Postgres connection
// (the run's private PostgreSQL), so commands are SQL typed at psql's prompt.
//
// How the cases map: the credential is the one-time ticket the console issues for the signed-in
// person's identity, so "a credential never issued" is a ticket the console never issued; the
// session the console lists and kills is the terminal session (protocol "terminal"); key
// revocation ends every live session of the identity, the terminal included. Every case applies.
// Escape sequences (colours, bracketed paste, cursor moves) and carriage returns, to read the screen as text.
// eslint-disable-next-line no-control-regex -- matching the terminal's control characters is the point
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Za-z0-9]|\r/g;
const screenText = (raw: string) => raw.replace(ANSI, "");

const terminal: ContractAdapter = {
  name: "browser terminal (psql)",
  sessionProtocol: "terminal",
  // Refusals before psql starts close the socket with 44xx; psql prints a refused statement as ERROR;
  // a session the gateway ends sends {"type":"exit","message"} and closes normally.
  codes: { badCredential: "4401", noConnection: "4403", refused: "ERROR", ended: "1000" },
  cases: {
    "bad-credential": true,
    "no-connection": true,
    "deny-rule": true,
    "hold-approve": true,
    "hold-reject": true,
    "hold-timeout": true,
    "admin-kill": true,
    "key-revocation": true,
    "access-expiry": true,
    "audit-per-command": true,
    masking: true,
  },
  echo: (text) => `select '${text}' as value;`,
  async start(gw, seed) {
    const origin = new URL(gw.env.GATEHOUSE_CONSOLE_URL ?? "http://localhost:3000").origin;
    return {
      addConnection: (name) => seedPostgresConnection(seed, name, gw.target.url()),
      credential: async (who, connection) =>
        (await issueTerminalTicket(seed.db, { identityId: who.id, groups: who.groups, connectionName: connection, consoleUser: `${who.name}@example.com`, cols: 200, rows: 40 })).ticket,
      forgedCredential: () => randomBytes(32).toString("base64url"),
      async open(ticket, connection) {
        const ws = new WebSocket(`ws://127.0.0.1:${gw.gw.ports.http}/terminal?ticket=${encodeURIComponent(ticket)}`, { origin });
        let screen = "";
        const notes: string[] = [];
        ws.on("message", (d, binary) => {
          if (binary) return void (screen += d.toString());
          const m = JSON.parse(d.toString()) as { type: string; message?: string; code?: number };
          if (m.message) notes.push(m.message);
        });
        const closed = new Promise<Refused>((resolve) => ws.once("close", (code) => resolve({ ok: false, code: String(code), message: notes.join("\n") || screenText(screen).trim().slice(-500) })));
        ws.once("error", () => {});
        const prompt = `${connection}=> `;
        const waitFor = async (test: () => boolean) => {
          while (!test() && ws.readyState !== WebSocket.CLOSED) await new Promise((r) => setTimeout(r, 25));
          return test();
        };
        // Admitted once psql shows its prompt; refused when the gateway closes the socket first.
        if (!(await waitFor(() => screen.includes(prompt)))) return closed;
        const session: ContractSession = {
          async run(command): Promise<ClientOutcome> {
            const from = screen.length;
            ws.send(Buffer.from(`${command}\r`));
            // psql echoes the line, prints the result (or the error) and a new prompt.
            const done = await waitFor(() => screen.indexOf(prompt, from + command.length) >= 0);
            const after = screenText(screen.slice(from));
            const lines = after.split("\n").slice(1); // the echoed line
            if (done) lines.pop(); // the new prompt
            const output = lines.join("\n");
            if (!done) return closed;
            const error = /^(ERROR|FATAL):\s+(.*)$/m.exec(output);
            return error ? { ok: false, code: error[1], message: error[2] } : { ok: true, output };
          },
          // At psql's prompt: the end arrives as an exit message and the socket's close.
          holdOpen: async () => ({ ended: closed }),
          transcript: () => screenText(screen) + notes.map((n) => `\n[gateway] ${n}`).join(""),
          async close() {
            if (ws.readyState === WebSocket.OPEN) ws.send(Buffer.from("\x04"));
            setTimeout(() => ws.terminate(), 2000).unref();
            await closed;
          },
        };
        return { ok: true, session };
      },
      stop: async () => {},
    };
  },
};

describePipelineContract(terminal);
