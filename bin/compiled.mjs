// Runs one of Gatehouse's entry points (the CLI, the gateway) compiled into one file under
// node_modules/.cache/gatehouse-<name>/, built with esbuild (the compiler tsx itself uses) and
// rebuilt when a source file it was built from changes size or modification time. Compiled, a
// process skips tsx's loader at start (about 1 s for the CLI) and the helper calls tsx adds to every
// function it compiles (esbuild's keepNames `__name(...)`, paid each time a closure is created on the
// data path). When it cannot be built, or when told not to, the sources run through tsx as before.
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
// The one source that reads import.meta (its migrations folder): a bundle pins import.meta.url to it.
const PINNED = "drizzle/migrate.ts";

// Packages compiled into an entry's bundle instead of imported from node_modules at run time (every
// other package stays external). drizzle-orm is about a hundred small ES modules, each resolved and
// read at start: inside the CLI's bundle a command starts about 90 ms sooner (a command is a process
// of its own). Only packages that no external package imports in turn: a second copy would break
// their `instanceof` checks.
const INLINE = { cli: ["drizzle-orm"] };

/** Each input's size and modification time, as the stamp records them. */
const stat = (file) => {
  const s = statSync(path.join(root, file));
  return `${s.size}:${s.mtimeMs}`;
};

/** Where an entry's bundle and its stamp (the inputs it was built from) live. */
export function compiledPaths(name) {
  const dir = path.join(root, "node_modules", ".cache", `gatehouse-${name}`);
  return { dir, bundle: path.join(dir, `${name}.mjs`), stampFile: path.join(dir, "inputs.json") };
}

function fresh({ bundle, stampFile }) {
  try {
    const inputs = JSON.parse(readFileSync(stampFile, "utf8"));
    statSync(bundle);
    return Object.entries(inputs).every(([file, seen]) => stat(file) === seen);
  } catch {
    return false;
  }
}

/** An esbuild plugin: every package external but those named. */
function externalBut(inline) {
  return {
    name: "external-but",
    setup(b) {
      b.onResolve({ filter: /^[^./]/ }, (args) => {
        const parts = args.path.split("/");
        const name = args.path.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
        return inline.includes(name) ? undefined : { path: args.path, external: true };
      });
    },
  };
}

async function build(name, entry, { dir, bundle, stampFile }) {
  const esbuild = await import("esbuild");
  const inline = INLINE[name] ?? [];
  const result = await esbuild.build({
    entryPoints: [path.join(root, entry)],
    absWorkingDir: root,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    ...(inline.length ? { plugins: [externalBut(inline)] } : { packages: "external" }),
    write: false,
    metafile: true,
    logLevel: "silent",
    outfile: bundle,
    define: { "import.meta.url": JSON.stringify(pathToFileURL(path.join(root, PINNED)).href) },
  });
  const inputs = Object.keys(result.metafile.inputs);
  // How it was built is an input too: a change to this file rebuilds every bundle.
  const stamped = [...inputs, "bin/compiled.mjs"];
  for (const file of inputs) if (file !== PINNED && /import\.meta/.test(readFileSync(path.join(root, file), "utf8"))) throw new Error(`${file} reads import.meta, which a bundle pins to ${PINNED}`);
  mkdirSync(dir, { recursive: true });
  // Written aside and renamed: two processes building at once each leave a whole file.
  const tmp = `${bundle}.${process.pid}.tmp`;
  writeFileSync(tmp, result.outputFiles[0].contents);
  renameSync(tmp, bundle);
  const stampTmp = `${stampFile}.${process.pid}.tmp`;
  writeFileSync(stampTmp, JSON.stringify(Object.fromEntries(stamped.map((f) => [f, stat(f)]))));
  renameSync(stampTmp, stampFile);
}

/**
 * Imports the compiled `entry` (building it first when stale), or the TypeScript source through
 * tsx when `noBuild` is set or the build fails.
 */
export async function runCompiled({ name, entry, noBuild }) {
  const paths = compiledPaths(name);
  let compiled = fresh(paths);
  if (!compiled && !noBuild) {
    compiled = await build(name, entry, paths).then(
      () => true,
      () => false,
    );
  }
  if (compiled) {
    await import(pathToFileURL(paths.bundle).href);
  } else {
    const { register } = await import("tsx/esm/api");
    register();
    await import(pathToFileURL(path.join(root, entry)).href);
  }
}

/** Builds an entry's bundle without running it (the container image builds the gateway's and the CLI's at image build time). */
export async function buildCompiled({ name, entry }) {
  const paths = compiledPaths(name);
  if (!fresh(paths)) await build(name, entry, paths);
  return paths.bundle;
}
