// Drives insforge-mcp with the official MCP TypeScript SDK client, the way
// Claude Desktop, VS Code and hosted agents do. Run by the Go test
// TestTypeScriptSDKInterop; usable by hand:
//
//   BACKEND_URL=… API_KEY=ik_… node client.mjs stdio /path/to/insforge-mcp
//   BACKEND_URL=… API_KEY=ik_… node client.mjs http  http://127.0.0.1:8080/mcp
//   BACKEND_URL=… API_KEY=ik_… node client.mjs sse   http://127.0.0.1:8080/sse
//   BACKEND_URL=… API_KEY=ik_… node client.mjs elicit /path/to/insforge-mcp
// (elicit: the key typed on the one-time connect page, destructive calls
// confirmed through the client, both by elicitation over stdio)
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ElicitRequestSchema, ToolListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";

const [mode, target] = process.argv.slice(2);
const backendURL = process.env.BACKEND_URL;
const apiKey = process.env.API_KEY;

function check(cond, message) {
  if (!cond) throw new Error(message);
}

function text(result) {
  return (result.content ?? []).filter((c) => c.type === "text").map((c) => c.text).join("");
}

function transportFor() {
  switch (mode) {
    case "stdio":
    case "elicit":
      return new StdioClientTransport({
        command: target,
        args: mode === "elicit" ? ["--credentials-file", "none", "--confirm-destructive"] : ["--credentials-file", "none"],
        env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp" },
        stderr: "pipe",
      });
    case "http":
      return new StreamableHTTPClientTransport(new URL(target));
    case "sse":
      return new SSEClientTransport(new URL(target));
    default:
      throw new Error(`unknown mode ${mode}`);
  }
}

// elicit: what a user does through a client that supports elicitation.
async function elicitFlow() {
  const client = new Client({ name: "interop-elicit", version: "1.0.0" }, { capabilities: { elicitation: { form: {}, url: {} } } });
  const seen = { url: 0, form: 0 };
  client.setRequestHandler(ElicitRequestSchema, async (req) => {
    const p = req.params;
    if (p.mode === "url") {
      seen.url++;
      // The user opens the page and types the URL and key there.
      const res = await fetch(p.url, { method: "POST", body: new URLSearchParams({ projectUrl: backendURL, apiKey }) });
      check(res.ok, `connect page answered ${res.status}`);
      return { action: "accept" };
    }
    seen.form++;
    check(/delete-table/.test(p.message), `confirmation message: ${p.message}`);
    return { action: "accept", content: { confirm: true } };
  });
  await client.connect(transportFor());

  const connected = await client.callTool({ name: "connect-project", arguments: {} });
  check(!connected.isError && text(connected).startsWith("Connected to"), `interactive connect: ${text(connected)}`);
  check(seen.url === 1, `URL elicitations: ${seen.url}`);
  check(!JSON.stringify(connected).includes(apiKey), "the key reached a result");

  const created = await client.callTool({
    name: "create-table",
    arguments: { tableName: "interop_notes", columns: [{ columnName: "body", type: "string", isNullable: true, isUnique: false }] },
  });
  check(!created.isError, `create-table: ${text(created)}`);
  const dropped = await client.callTool({ name: "delete-table", arguments: { tableName: "interop_notes" } });
  check(!dropped.isError && seen.form === 1, `confirmed delete-table: ${text(dropped)} (form elicitations: ${seen.form})`);

  await client.close();
  console.log("interop elicit: ok");
}

async function main() {
  check(backendURL && apiKey && target, "BACKEND_URL, API_KEY and a target are required");
  if (mode === "elicit") return elicitFlow();
  const client = new Client({ name: "interop", version: "1.0.0" });
  let listChanged = 0;
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
    listChanged++;
  });
  await client.connect(transportFor());

  let tools = (await client.listTools()).tools.map((t) => t.name);
  check(tools.includes("connect-project"), `gate missing from ${tools}`);
  check(!tools.includes("run-raw-sql"), `locked tools listed before connecting: ${tools}`);
  for (const t of (await client.listTools()).tools) {
    const a = t.annotations ?? {};
    check([a.readOnlyHint, a.destructiveHint, a.idempotentHint, a.openWorldHint].every((v) => typeof v === "boolean"), `${t.name} lacks annotations`);
  }

  const bad = await client.callTool({ name: "connect-project", arguments: { projectUrl: backendURL, apiKey: "ik_" + "0".repeat(64) } });
  check(bad.isError && /refused the key/.test(text(bad)), `bad key not reported: ${text(bad)}`);
  check(!(await client.listTools()).tools.some((t) => t.name === "run-raw-sql"), "bad key unlocked tools");

  const good = await client.callTool({ name: "connect-project", arguments: { projectUrl: backendURL, apiKey } });
  check(!good.isError, `connect failed: ${text(good)}`);
  check(!text(good).includes(apiKey), "connect result echoes the key");
  for (let i = 0; i < 100 && listChanged === 0; i++) await new Promise((r) => setTimeout(r, 20));
  check(listChanged > 0, "no notifications/tools/list_changed after connect");

  tools = (await client.listTools()).tools.map((t) => t.name);
  check(tools.includes("run-raw-sql") && tools.includes("get-backend-metadata"), `tools after connect: ${tools}`);

  const meta = await client.callTool({ name: "get-backend-metadata", arguments: {} });
  check(!meta.isError && text(meta).includes("database"), `get-backend-metadata: ${text(meta)}`);
  const sql = await client.callTool({ name: "run-raw-sql", arguments: { query: "SELECT 1" } });
  check(!sql.isError && text(sql).includes("rows"), `run-raw-sql: ${text(sql)}`);

  const resources = (await client.listResources()).resources.map((r) => r.uri);
  check(resources.includes("insforge://docs/overview") && resources.includes("insforge://metadata"), `resources: ${resources}`);
  const doc = await client.readResource({ uri: "insforge://metadata" });
  check(doc.contents[0].text.includes("database"), "metadata resource is empty");

  await client.close();
  console.log(`interop ${mode}: ok`);
}

main().catch((err) => {
  console.error(`interop ${mode}: FAILED: ${err.message}`);
  process.exit(1);
});
