import { runCli } from "./run-cli";

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

// The `gatehouse` command (bin/gatehouse.mjs): one command line, then exit with its status.
void runCli(process.argv.slice(2), {
  env: process.env,
  out: (line) => void process.stdout.write(line + "\n"),
  err: (text) => void process.stderr.write(text),
  stdin: readStdin,
}).then((code) => process.exit(code));
