import { execFileSync } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { policies } from "../../drizzle/schema/index";
import { expect, storageStateFor, test } from "./support/fixtures";
import { connectionStoredByEarlierRelease } from "./support/stale-stored";
import { clippedHeight, cutSelects, pageOverflow } from "./support/layout";

test.use({ storageState: storageStateFor("admin") });

test("[GUARDRAILS][FORM]: an admin adds a deny rule, tries a statement before saving, saves, and psql is refused by that rule", async ({ page, cli, psql, stack, shot }) => {
  await cli("connections", "add", "guarded-db", "--type", "postgres", "--url", stack.targetUrl);
  await cli("grant", "guarded-agents", "guarded-db");
  const key = (await cli("keys", "issue", "agent-guarded", "--groups", "guarded-agents")).stdout.trim();

  await page.goto("/guardrails");
  await expect(page.getByRole("row", { name: /guarded-db/ })).toContainText("no policy: everything is allowed");
  await page.getByRole("link", { name: "guarded-db" }).click();
  await page.getByRole("button", { name: "Add rule" }).click();
  const rule = page.getByRole("region", { name: /Rule 1/ });
  await rule.getByLabel("Name").fill("no-drops");
  await rule.getByLabel("Kinds").fill("DROP");
  await rule.getByLabel("Regex on the text").fill("([unclosed");

  await page.getByLabel("SQL").fill("select 1; drop table orders");
  await page.getByLabel("In groups").fill("guarded-agents");
  await page.getByRole("button", { name: "Try it" }).click();
  await expect(page.getByText("not a valid regular expression").first()).toBeVisible();
  await rule.getByLabel("Regex on the text").fill("");
  await page.getByRole("button", { name: "Try it" }).click();
  const verdict = page.getByRole("status", { name: "Verdict" });
  await expect(verdict).toContainText("deny");
  await expect(verdict).toContainText('rule "no-drops" matches this DROP TABLE statement');
  await expect(verdict).toContainText("SELECT");

  await page.getByRole("button", { name: "Save policy" }).click();
  await expect(page.getByText("Saved: every gateway instance reloads it")).toBeVisible();
  await shot(page, "guardrails-editor");
  await new Promise((r) => setTimeout(r, 1500)); // the gateway reloads from the bus
  const r = await psql(key, "guarded-db", ["-v", "VERBOSITY=verbose", "-c", "drop table if exists nothing_here"]);
  expect(r.stderr).toContain('ERROR:  42501: Gatehouse denied this statement: rule "no-drops"');
  expect((await cli("policies", "show", "guarded-db")).stdout).toContain('"no-drops"');

  // A longer rule (unsaved): its JSON shows whole, the heading names the command without Markdown
  // backticks, and no select is cut short, at every width.
  await rule.getByLabel("Tables").fill("billing.*, users, orders, payments, invoices, refunds");
  await rule.getByLabel("Only for groups").fill("guarded-agents, contractors, interns");
  const json = page.getByLabel("Policy as JSON");
  await expect(json).toContainText('"refunds"');
  await expect(page.getByRole("heading", { name: "As JSON (what gatehouse policies apply takes)" })).toBeVisible();
  await expect(page.getByText("`")).toHaveCount(0);
  for (const width of [1280, 1024, 390]) {
    await page.setViewportSize({ width, height: 900 });
    expect(await cutSelects(page), `selects cut short at ${width}px`).toEqual([]);
    expect(await clippedHeight(page, "pre"), `boxes cut at the bottom at ${width}px`).toEqual([]);
    expect(await pageOverflow(page), `the page scrolls sideways at ${width}px`).toBeLessThanOrEqual(1);
    await shot(page, `guardrails-editor-${width}`);
  }
  // An allow rule says it must cover the whole statement.
  await page.setViewportSize({ width: 1280, height: 900 });
  await rule.getByLabel("Action", { exact: true }).selectOption("allow");
  await expect(rule.getByText("an allow rule must list every kind a statement runs")).toBeVisible();
  await expect(rule.getByText("an allow rule must list every table a statement names")).toBeVisible();
  await shot(page, "guardrails-allow-rule");
});

test("[GUARDRAILS][SSH]: on an SSH connection the try box judges command lines as the SSH listener does", async ({ page, cli, shot }) => {
  const keyFile = path.join(tmpdir(), `gatehouse-guard-key-${process.pid}`);
  rmSync(keyFile, { force: true });
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", keyFile]);
  // No server is needed to judge commands: the connection only has to exist.
  const add = await cli("connections", "add", "guarded-ssh", "--type", "ssh", "--host", "127.0.0.1", "--port", "1", "--user", "deploy", "--private-key-file", keyFile);
  expect(add.stderr).toBe("");
  const policy = path.join(tmpdir(), `gatehouse-guard-ssh-${process.pid}.json`);
  writeFileSync(policy, JSON.stringify({ rules: [{ name: "no-rm", action: "deny", match: { kinds: ["rm", "kubectl delete"] } }] }));
  expect((await cli("policies", "apply", "guarded-ssh", "-f", policy)).code).toBe(0);

  await page.goto("/guardrails/guarded-ssh");
  await expect(page.getByRole("heading", { name: "Try a command" })).toBeVisible();
  await page.getByLabel("Commands, one a line").fill("ls -la /srv\nkubectl -n prod delete pod web-1");
  await page.getByRole("button", { name: "Try it" }).click();
  const verdict = page.getByRole("status", { name: "Verdict" });
  await expect(verdict).toContainText('Gatehouse denied this command: rule "no-rm" matches this command');
  await expect(verdict).toContainText("KUBECTL DELETE POD WEB-1");
  await expect(verdict.getByText("tables")).toHaveCount(0);
  await shot(page, "guardrails-ssh-try");
  rmSync(keyFile, { force: true });
  rmSync(`${keyFile}.pub`, { force: true });
  rmSync(policy, { force: true });
});

test("[GUARDRAILS][MYSQL]: on a MySQL connection the try box reads the text as the MySQL listener does (an executable comment runs)", async ({ page, cli, shot }) => {
  // No server is needed to judge statements: the connection only has to exist.
  expect((await cli("connections", "add", "guarded-mysql", "--type", "mysql", "--url", "mysql://app:pw@127.0.0.1:1/shop", "--tls", "disable")).code).toBe(0);
  const policy = path.join(tmpdir(), `gatehouse-guard-mysql-${process.pid}.json`);
  writeFileSync(policy, JSON.stringify({ rules: [{ name: "no-drops", action: "deny", match: { kinds: ["DROP"] } }] }));
  expect((await cli("policies", "apply", "guarded-mysql", "-f", policy)).code).toBe(0);

  await page.goto("/guardrails/guarded-mysql");
  await expect(page.getByRole("heading", { name: "Try a statement" })).toBeVisible();
  // The rule form speaks MySQL: no PostgreSQL lock levels or COPY ... PROGRAM, server files as MySQL reaches them.
  const rule = page.getByRole("region", { name: /Rule 1/ });
  await expect(rule.getByLabel("Takes a lock of at least")).toHaveCount(0);
  await expect(rule.getByText("COPY ... PROGRAM")).toHaveCount(0);
  await expect(rule.getByLabel("Server files: INTO OUTFILE, LOAD DATA, LOAD_FILE")).toBeVisible();
  await expect(rule.getByLabel("Functions")).toHaveAttribute("placeholder", "load_file, sys_exec");
  // What a Postgres reader takes for a comment, MySQL runs: mysqldump's output is full of these.
  await page.getByLabel("SQL").fill("select `id` from orders where id <=> 1;\n/*!40000 DROP TABLE `orders` */;\nselect erase_row(1);\ninsert into orders values (1)");
  await page.getByRole("button", { name: "Try it" }).click();
  const verdict = page.getByRole("status", { name: "Verdict" });
  await expect(verdict).toContainText('the gateway answers 1142 "Gatehouse denied this DROP TABLE statement: rule "no-drops"');
  await expect(verdict).toContainText("Not judged here: it calls erase_row, which is no built-in");
  await expect(verdict).toContainText("Not judged here: it writes orders: the gateway also judges what the write sets off (triggers");
  await expect(verdict.getByText("locks")).toHaveCount(0);
  await shot(page, "guardrails-mysql-try");
  rmSync(policy, { force: true });
});

test("[GUARDRAILS][MCP]: on an MCP connection the rule form shows a rule's argument conditions and keeps them through a save, and the try box judges tool calls", async ({ page, cli, shot }) => {
  // No server is needed to judge tool calls: the connection only has to exist.
  expect((await cli("connections", "add", "guarded-mcp", "--type", "mcp", "--url", "http://127.0.0.1:1/mcp")).code).toBe(0);
  const policy = path.join(tmpdir(), `gatehouse-guard-mcp-${process.pid}.json`);
  writeFileSync(policy, JSON.stringify({ rules: [{ name: "no-system-files", action: "deny", match: { kinds: ["write_file"], arguments: { "/path": "/etc/*" } } }] }));
  expect((await cli("policies", "apply", "guarded-mcp", "-f", policy)).code).toBe(0);

  await page.goto("/guardrails/guarded-mcp");
  await expect(page.getByRole("heading", { name: "Try a tool call" })).toBeVisible();
  const rule = page.getByRole("region", { name: /Rule 1/ });
  await expect(rule.getByLabel("Tools")).toHaveValue("write_file");
  await expect(rule.getByLabel("Argument conditions (JSON)")).toHaveValue('{"/path":"/etc/*"}');
  await expect(rule.getByLabel("Tables")).toHaveCount(0);
  await page.getByLabel("Tool calls, one a line: the tool's name, then its arguments as JSON").fill('write_file {"path": "/tmp/notes"}\nwrite_file {"path": "/etc/passwd"}');
  await page.getByRole("button", { name: "Try it" }).click();
  const verdict = page.getByRole("status", { name: "Verdict" });
  await expect(verdict).toContainText('the agent gets a tool error: "Gatehouse denied this tool call: rule "no-system-files"');
  await shot(page, "guardrails-mcp-try");
  // A save from the form keeps the condition (before, the form dropped it: the rule then refused every write_file).
  await page.getByRole("button", { name: "Save policy" }).click();
  await expect(page.getByText("Saved: every gateway instance reloads it")).toBeVisible();
  expect((await cli("policies", "show", "guarded-mcp")).stdout).toContain('"/path": "/etc/*"');
  rmSync(policy, { force: true });
});

test("[GUARDRAILS][KUBERNETES]: on a Kubernetes connection the rule form shows its conditions, the try box reads kubectl lines, and a save keeps them", async ({ page, cli }) => {
  // No API server is needed to judge requests: the connection only has to exist.
  const add = await cli("connections", "add", "guarded-kube", "--type", "kubernetes", "--server", "https://127.0.0.1:1", "--token", "not-used");
  expect(add.stderr).toBe("");
  const policy = path.join(tmpdir(), `gatehouse-guard-kube-${process.pid}.json`);
  writeFileSync(policy, JSON.stringify({ rules: [{ name: "no-prod-deletes", action: "deny", match: { verbs: ["delete"], resources: ["deployments.apps"], namespaces: ["prod"] } }] }));
  expect((await cli("policies", "apply", "guarded-kube", "-f", policy)).code).toBe(0);

  await page.goto("/guardrails/guarded-kube");
  await expect(page.getByRole("heading", { name: "Try a request" })).toBeVisible();
  const rule = page.getByRole("region", { name: /Rule 1/ });
  await expect(rule.getByLabel("Namespaces")).toHaveValue("prod");
  await expect(rule.getByLabel("Resources")).toHaveValue("deployments.apps");
  await page.getByLabel(/Requests, one a line: a kubectl command/).fill("kubectl get pods -n prod\nkubectl -n prod delete deployment web");
  await page.getByRole("button", { name: "Try it" }).click();
  const verdict = page.getByRole("status", { name: "Verdict" });
  await expect(verdict).toContainText('rule "no-prod-deletes" matches this request');
  await expect(verdict).toContainText("delete deployments in prod (web)");
  await rule.getByLabel("Object names").fill("web*");
  await page.getByRole("button", { name: "Save policy" }).click();
  await expect(page.getByText("Saved: every gateway instance reloads it")).toBeVisible();
  const saved = JSON.parse((await cli("policies", "show", "guarded-kube")).stdout) as { rules: Array<{ match: Record<string, unknown> }> };
  expect(saved.rules[0].match).toEqual({ verbs: ["delete"], resources: ["deployments.apps"], namespaces: ["prod"], names: ["web*"] });
  rmSync(policy, { force: true });
});

test("[GUARDRAILS][UNREADABLE]: a stored policy this release refuses (a lookahead an earlier release saved) is flagged, its rule shown with why, and correcting it lets sessions in again", async ({
  page,
  cli,
  psql,
  stack,
  shot,
}) => {
  // Stored as an earlier release stored it: JavaScript's RegExp took the lookahead, RE2 does not.
  const key = await connectionStoredByEarlierRelease(cli, stack, {
    name: "stale-policy-db",
    group: "stale-agents",
    identity: "agent-stale",
    store: (db, connectionId) => db.insert(policies).values({ connectionId, policy: { defaultAction: "allow", rules: [{ name: "no-drops", action: "deny", match: { regex: "drop(?=\\s+table)" } }] } }),
  });
  const refused = await psql(key, "stale-policy-db", ["-c", "select 1"]);
  expect(refused.stderr).toContain('connection "stale-policy-db" cannot be served: its guardrail policy no longer validates (rules.0.match.regex: not supported');

  await page.goto("/guardrails");
  await expect(page.getByRole("row", { name: /stale-policy-db/ })).toContainText("stored policy unreadable: sessions are refused");
  await page.getByRole("link", { name: "stale-policy-db" }).click();
  await expect(page.getByText("The stored policy does not pass the gateway's schema")).toBeVisible();
  await expect(page.getByText(/rules\.0\.match\.regex: not supported .*Correct the rule below and save\./)).toBeVisible();
  const rule = page.getByRole("region", { name: /Rule 1/ });
  await expect(rule.getByLabel("Name")).toHaveValue("no-drops");
  await expect(rule.getByLabel("Regex on the text")).toHaveValue("drop(?=\\s+table)");
  await shot(page, "guardrails-unreadable");
  await rule.getByLabel("Regex on the text").fill("drop\\s+table");
  await page.getByRole("button", { name: "Save policy" }).click();
  await expect(page.getByText("Saved: every gateway instance reloads it")).toBeVisible();
  await expect(page.getByText("The stored policy does not pass the gateway's schema")).toBeHidden();
  await new Promise((r) => setTimeout(r, 1500)); // the gateway reloads from the bus
  expect((await psql(key, "stale-policy-db", ["-Atc", "select 41 + 1"])).stdout.trim()).toBe("42");
  const denied = await psql(key, "stale-policy-db", ["-c", "drop table if exists nothing_here"]);
  expect(denied.stderr).toContain('Gatehouse denied this statement: rule "no-drops"');
});
