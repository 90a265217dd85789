#!/usr/bin/env node
// The `gatehouse` command. Runs the CLI compiled into one file (node_modules/.cache/gatehouse-cli/,
// built with esbuild, the compiler tsx itself uses, and rebuilt when a source file it was built from
// changes), so a command does not compile TypeScript at every start (about 1 s through tsx's loader,
// about 0.4 s compiled). When it cannot be built, the CLI runs through tsx as before.
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dir = path.join(root, "node_modules", ".cache", "gatehouse-cli");
const bundle = path.join(dir, "cli.mjs");
const stampFile = path.join(dir, "inputs.json");
// The one source that reads import.meta (its migrations folder): the bundle pins import.meta.url to it.
const PINNED = "drizzle/migrate.ts";

/** Each input's size and modification time, as the stamp records them. */
const stat = (file) => {
  const s = statSync(path.join(root, file));
  return `${s.size}:${s.mtimeMs}`;
};

function fresh() {
  try {
    const inputs = JSON.parse(readFileSync(stampFile, "utf8"));
    statSync(bundle);
    return Object.entries(inputs).every(([file, seen]) => stat(file) === seen);
  } catch {
    return false;
  }
}

async function build() {
  const esbuild = await import("esbuild");
  const result = await esbuild.build({
    entryPoints: [path.join(root, "gateway/cli/main.ts")],
    absWorkingDir: root,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    write: false,
    metafile: true,
    logLevel: "silent",
    outfile: bundle,
    define: { "import.meta.url": JSON.stringify(pathToFileURL(path.join(root, PINNED)).href) },
  });
  const inputs = Object.keys(result.metafile.inputs);
  for (const file of inputs)
    if (file !== PINNED && /import\.meta/.test(readFileSync(path.join(root, file), "utf8"))) throw new Error(`${file} reads import.meta, which the compiled CLI pins to ${PINNED}`);
  mkdirSync(dir, { recursive: true });
  // Written aside and renamed: two commands building at once each leave a whole file.
  const tmp = `${bundle}.${process.pid}.tmp`;
  writeFileSync(tmp, result.outputFiles[0].contents);
  renameSync(tmp, bundle);
  const stampTmp = `${stampFile}.${process.pid}.tmp`;
  writeFileSync(stampTmp, JSON.stringify(Object.fromEntries(inputs.map((f) => [f, stat(f)]))));
  renameSync(stampTmp, stampFile);
}

let compiled = fresh();
if (!compiled && process.env.GATEHOUSE_CLI_NO_BUILD !== "1") {
  compiled = await build().then(
    () => true,
    () => false,
  );
}
if (compiled) {
  await import(pathToFileURL(bundle).href);
} else {
  const { register } = await import("tsx/esm/api");
  register();
  await import("../gateway/cli/main.ts");
}
