// ESLint (flat config). `npm run lint` checks the whole repository; errors fail it, warnings do not.
// Kept small on purpose: correctness rules and the module boundaries of the design (its Layout
// section), not style. Formatting belongs to Prettier (prettier.config.mjs), so no stylistic rule is on.
import { readdirSync } from "node:fs";
import path from "node:path";
import js from "@eslint/js";
import nextPlugin from "@next/eslint-plugin-next";
import { defineConfig, globalIgnores } from "eslint/config";
import { createTypeScriptImportResolver } from "eslint-import-resolver-typescript";
import importX from "eslint-plugin-import-x";
import reactHooks from "eslint-plugin-react-hooks";
import globals from "globals";
import tseslint from "typescript-eslint";

const root = import.meta.dirname;

// Tests, benchmarks and scripts set up whole systems (gateway + console + database), so they may
// import across the boundaries below. They are still checked for cycles.
const wholeSystemFiles = ["**/*.test.ts", "**/*.test.tsx", "e2e/**", "bench/**", "scripts/**"];

// One zone per protocol adapter: gateway/protocols/<x>/ may not import any other gateway/protocols/<y>/.
const protocols = readdirSync(path.join(root, "gateway/protocols"), { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name);

const boundaries = [
  {
    // core/ is the shared domain that the console, the CLI and the gateway all use: it must stay
    // importable from each of them, so it depends only on itself, the schema and packages.
    target: "./core",
    from: ".",
    except: ["./core", "./drizzle", "./node_modules"],
    message: "core/ imports only core/, drizzle/ and packages; move the shared code into core/ instead.",
  },
  {
    // The gateway and the console never call each other; they meet in the database.
    target: "./gateway",
    from: ["./server", "./app", "./components"],
    message: "the gateway never imports the console (server/, app/, components/); share code through core/.",
  },
  {
    // The console uses the shared domain in core/, never the gateway process (its listeners,
    // protocol adapters, pipeline or CLI).
    target: ["./server", "./app", "./components"],
    from: "./gateway",
    message: "the console never imports gateway/; move what it needs into core/.",
  },
  {
    // One pipeline, many protocols: the pipeline is protocol-agnostic and each adapter calls it.
    target: "./gateway/pipeline",
    from: "./gateway/protocols",
    message: "gateway/pipeline/ is protocol-agnostic and never imports a protocol adapter.",
  },
  // A protocol adapter stands alone: what two adapters share belongs in gateway/pipeline/ or core/.
  ...protocols.map((name) => ({
    target: `./gateway/protocols/${name}`,
    from: "./gateway/protocols",
    except: [`./${name}`],
    message: `gateway/protocols/${name}/ never imports another protocol's folder; share code through gateway/pipeline/ or core/.`,
  })),
];

export default defineConfig(
  globalIgnores(["node_modules/", ".next/", ".next-*/", ".gatehouse/", "next-env.d.ts", "drizzle/migrations/", "test-results/", "playwright-report/", "bench/results/", "e2e/screenshots/"]),
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { ...globals.node },
    },
    linterOptions: { reportUnusedDisableDirectives: "warn" },
    // @next/next is registered for every file so that `next build`, which lints app/ and components/
    // itself, finds it (it looks in the config for eslint.config.mjs); its rules are on below only.
    plugins: { "import-x": importX, "@next/next": nextPlugin },
    settings: {
      "import-x/resolver-next": [createTypeScriptImportResolver({ project: path.join(root, "tsconfig.json") })],
      "import-x/parsers": { "@typescript-eslint/parser": [".ts", ".tsx", ".mts", ".cts"] },
      "import-x/extensions": [".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs"],
    },
    rules: {
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrorsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_", ignoreRestSiblings: true },
      ],
      // No `any` in domain code (STYLE.md), reported without failing the lint.
      "@typescript-eslint/no-explicit-any": "warn",
      // `let x; ... () => x ...; x = new X()`: a closure that reads x before the assignment would
      // throw if x were const (temporal dead zone), so that pattern stays a let.
      "prefer-const": ["error", { ignoreReadBeforeAssign: true }],
      // A cycle makes module initialisation order-dependent (a value read before it is set) and
      // tangles layers that should stand alone. Type-only imports are ignored: they vanish at runtime.
      "import-x/no-cycle": ["error", { ignoreExternal: true }],
      "import-x/no-self-import": "error",
      "import-x/no-restricted-paths": ["error", { basePath: root, zones: boundaries }],
    },
  },
  {
    // The console's React code: the rules of hooks, and Next's own checks (app router: no pages/).
    files: ["app/**/*.{ts,tsx}", "components/**/*.{ts,tsx}"],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { "react-hooks": reactHooks },
    rules: {
      "react-hooks/rules-of-hooks": "error",
      "react-hooks/exhaustive-deps": "warn",
      ...nextPlugin.configs.recommended.rules,
      "@next/next/no-html-link-for-pages": "off",
    },
  },
  {
    files: wholeSystemFiles,
    rules: {
      "import-x/no-restricted-paths": "off",
      "@typescript-eslint/no-explicit-any": "off",
      // Playwright reads a fixture's dependencies from its first parameter: `async ({}, use) => ...`.
      "no-empty-pattern": ["error", { allowObjectPatternsAsParameters: true }],
    },
  },
);
