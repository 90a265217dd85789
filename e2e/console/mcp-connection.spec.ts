import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { expect, storageStateFor, test } from "./support/fixtures";

// An upstream MCP server as a connection, through the console: the form's stdio fields, Test
// connection (the gateway's SDK client runs the program and lists its tools), and tool pinning on the
// connection page: every tool waits until an admin approves its definition; an agent (the official
// SDK client through /mcp/<connection>) sees exactly the approved ones.
test.use({ storageState: storageStateFor("admin") });

const FIXTURE = path.resolve(import.meta.dirname, "..", "mcp", "upstream-fixture", "fixture-server.mjs");

test("[CONNECTIONS][MCP]: an admin adds a stdio MCP server, tests it, and approves one tool that agents then see", async ({ page, cli, stack, shot }) => {
  const state = path.join(mkdtempSync(path.join(tmpdir(), "mcp-console-")), "state.json");
  writeFileSync(state, "{}");
  await page.goto("/connections/new");
  await page.getByLabel("Type", { exact: true }).selectOption("mcp");
  await page.getByLabel("Name", { exact: true }).fill("files-mcp-form");
  await page.getByLabel("Transport", { exact: true }).selectOption("stdio");
  await expect(page.getByLabel("Server URL", { exact: true })).toBeHidden();
  await page.getByLabel("Program", { exact: true }).fill(process.execPath);
  await page.getByLabel("Arguments (JSON array)", { exact: true }).fill(JSON.stringify([FIXTURE, state]));
  await page.getByRole("button", { name: "Test connection" }).click();
  await expect(page.getByText(/fixture-upstream 2\.0\.0, 6 tool\(s\)/)).toBeVisible({ timeout: 20_000 });
  await page.getByRole("button", { name: "Add connection" }).click();
  await expect(page).toHaveURL(/\/connections$/);
  await expect(page.getByRole("row", { name: /files-mcp-form/ })).toContainText("each tool needs an admin's approval");

  await cli("grant", "mcp-form-agents", "files-mcp-form");
  const key = (await cli("keys", "issue", "mcp-form-agent", "--groups", "mcp-form-agents")).stdout.trim();
  const client = new Client({ name: "console-spec", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${stack.gatewayHttpPort}/mcp/files-mcp-form`), { requestInit: { headers: { Authorization: `Bearer ${key}` } } }));
  const names = async () => (await client.listTools()).tools.map((t) => t.name);
  expect(await names()).toEqual([]);

  await page.getByRole("link", { name: "files-mcp-form" }).first().click();
  const tools = page.getByTestId("mcp-tools");
  await expect(tools.getByRole("listitem")).toHaveCount(6);
  const echo = tools.getByRole("listitem").filter({ hasText: "Echoes the text back." });
  await expect(echo).toContainText("new: waiting");
  await shot(page, "mcp-connection-tools");
  await echo.getByRole("button", { name: "Approve this definition" }).click();
  await expect(echo).toContainText("approved");
  await expect(echo).toContainText(`by ${stack.accounts.admin.email}`);
  expect(await names()).toEqual(["echo"]);
  await client.close();
});
