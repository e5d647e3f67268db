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
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ElicitRequestSchema, LoggingMessageNotificationSchema, ToolListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";

const [mode, target] = process.argv.slice(2);
const backendURL = process.env.BACKEND_URL;
const apiKey = process.env.API_KEY;

function check(cond, message) {
  if (!cond) throw new Error(message);
}

function text(result) {
  return (result.content ?? []).filter((c) => c.type === "text").map((c) => c.text).join("");
}

// hintsOf reads a tool's annotations as a client must: an absent hint takes
// the MCP default (readOnlyHint false, destructiveHint true, idempotentHint
// false, openWorldHint true); a read-only tool neither destroys nor changes
// anything on a repeat.
function hintsOf(a) {
  const get = (v, byDefault) => (v === undefined ? byDefault : v);
  const readOnly = get(a.readOnlyHint, false);
  return {
    readOnly,
    destructive: readOnly ? false : get(a.destructiveHint, true),
    idempotent: readOnly ? true : get(a.idempotentHint, false),
    openWorld: get(a.openWorldHint, true),
  };
}

// sameResult compares two tool results up to the untrusted-data frame's
// delimiter, which is fresh for every result.
function sameResult(a, b) {
  const norm = (r) => JSON.stringify({ isError: r.isError ?? false, text: text(r).replace(/untrusted-data-[0-9a-f]+/g, "untrusted-data-N"), structured: r.structuredContent ?? null });
  return norm(a) === norm(b);
}

// discovery: the tools tools/list does not show, found with find-tools and
// run with call-tool, on a connected session.
async function discovery(client) {
  const toolsets = await client.callTool({ name: "find-tools", arguments: {} });
  check(!toolsets.isError && /Toolsets:/.test(text(toolsets)) && /- database:/.test(text(toolsets)), `find-tools without arguments: ${text(toolsets)}`);

  const search = await client.callTool({ name: "find-tools", arguments: { query: "list the tables" } });
  check(!search.isError && /^- list-tables\b/m.test(text(search)), `find-tools "list the tables" lacks list-tables: ${text(search)}`);
  check(/run with call-tool/.test(text(search)), `find-tools does not say how to run unlisted tools: ${text(search)}`);

  const named = await client.callTool({ name: "find-tools", arguments: { query: "list-tables" } });
  const def = text(named);
  check(!named.isError && def.startsWith("list-tables") && /run it with call-tool/.test(def), `find-tools "list-tables": ${def}`);
  const schemaAt = def.indexOf("inputSchema: ");
  check(schemaAt >= 0, `find-tools "list-tables" has no inputSchema: ${def}`);
  const schema = JSON.parse(def.slice(schemaAt + "inputSchema: ".length).split("\n")[0]);
  check(schema.type === "object" && schema.properties && "schema" in schema.properties, `list-tables inputSchema: ${JSON.stringify(schema)}`);

  // call-tool gives what a direct call of the same tool gives (the server
  // serves unlisted tools to direct calls too).
  const direct = await client.callTool({ name: "list-tables", arguments: {} });
  check(!direct.isError && text(direct).includes("interop_todos"), `direct list-tables: ${text(direct)}`);
  const byName = await client.callTool({ name: "call-tool", arguments: { name: "list-tables", arguments: {} } });
  check(!byName.isError, `call-tool list-tables failed: ${text(byName)}`);
  check(sameResult(byName, direct), `call-tool list-tables differs from the direct call:\n${JSON.stringify(byName)}\n---\n${JSON.stringify(direct)}`);
  const noArgs = await client.callTool({ name: "call-tool", arguments: { name: "list-tables" } });
  check(sameResult(noArgs, direct), `call-tool list-tables without arguments: ${JSON.stringify(noArgs)}`);
  const sql = await client.callTool({ name: "call-tool", arguments: { name: "run-raw-sql", arguments: { query: "SELECT 1" } } });
  check(!sql.isError && text(sql).includes("rows"), `call-tool run-raw-sql: ${text(sql)}`);

  const unknown = await client.callTool({ name: "call-tool", arguments: { name: "no-such-tool", arguments: {} } });
  check(unknown.isError && /There is no tool "no-such-tool"/.test(text(unknown)) && /find-tools/.test(text(unknown)), `call-tool of an unknown tool: ${JSON.stringify(unknown)}`);

  const notObject = await client.callTool({ name: "call-tool", arguments: { name: "run-raw-sql", arguments: "SELECT 1" } });
  check(notObject.isError && /arguments must be a JSON object/.test(text(notObject)) && text(notObject).includes('"SELECT 1"'), `call-tool with string arguments: ${JSON.stringify(notObject)}`);

  const badArgs = await client.callTool({ name: "call-tool", arguments: { name: "run-raw-sql", arguments: {} } });
  check(badArgs.isError && /query/.test(text(badArgs)), `call-tool run-raw-sql without its query: ${JSON.stringify(badArgs)}`);
}

// promptsAndCompletion: the workflow prompts and completion of live
// names, on a connected session.
async function promptsAndCompletion(client) {
  const prompts = (await client.listPrompts()).prompts.map((p) => p.name).sort();
  const want = ["add-auth", "deploy-frontend", "deploy-function", "diagnose-logs", "setup-backend", "store-uploads"];
  check(JSON.stringify(prompts) === JSON.stringify(want), `prompts/list: ${prompts}`);
  const got = await client.getPrompt({ name: "store-uploads", arguments: { bucket: "avatars" } });
  const body = got.messages.map((m) => m.content.text ?? "").join("");
  check(got.messages[0]?.role === "user" && body.includes("`connect-project`") && body.includes("bucket `avatars`"), `prompts/get store-uploads: ${JSON.stringify(got)}`);
  check(body.indexOf("`connect-project`") < body.indexOf("`get-backend-metadata`"), `store-uploads does not start with the credentials: ${body}`);

  const tables = await client.complete({ ref: { type: "ref/resource", uri: "insforge://tables/{table}" }, argument: { name: "table", value: "interop" } });
  check(tables.completion.values.includes("interop_todos"), `completion of insforge://tables/{table}: ${JSON.stringify(tables)}`);
  const choice = await client.complete({ ref: { type: "ref/prompt", name: "store-uploads" }, argument: { name: "visibility", value: "pr" } });
  check(JSON.stringify(choice.completion.values) === JSON.stringify(["private"]), `completion of a prompt argument: ${JSON.stringify(choice)}`);
  const table = await client.complete({ ref: { type: "ref/prompt", name: "store-uploads" }, argument: { name: "table", value: "" } });
  check(table.completion.values.includes("interop_todos"), `completion of a prompt's table argument: ${JSON.stringify(table)}`);
}

function transportFor() {
  switch (mode) {
    case "stdio":
    case "elicit":
      return new StdioClientTransport({
        command: target,
        args: mode === "elicit" ? ["--credentials-file", "none", "--confirm-destructive"] : ["--credentials-file", "none"],
        // GORACE: a race-built server's quick exit, when the tests ask for it.
        env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...(process.env.GORACE ? { GORACE: process.env.GORACE } : {}) },
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

// deployWithProgress deploys a folder with progress, over stdio (a local
// server): every progress must come while the call runs, the last one with
// the deployment's status; one after the result makes the SDK report an
// unknown token.
async function deployWithProgress(client) {
  const dir = mkdtempSync(join(tmpdir(), "interop-app-"));
  writeFileSync(join(dir, "index.html"), "<!doctype html>\n");
  writeFileSync(join(dir, "package.json"), '{"name":"app"}');
  const errors = [];
  client.onerror = (e) => errors.push(e.message);
  try {
    for (let i = 0; i < 10; i++) {
      const seen = [];
      const res = await client.callTool({ name: "create-deployment", arguments: { sourceDirectory: dir, wait: false } }, undefined, { onprogress: (p) => seen.push(p) });
      check(!res.isError, `create-deployment: ${text(res)}`);
      check(seen.length > 0 && / is /.test(seen[seen.length - 1].message ?? ""), `create-deployment progress: ${JSON.stringify(seen)}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  await client.ping();
  check(errors.length === 0, `the SDK reported: ${errors.join("; ")}`);
  client.onerror = undefined;
}

async function main() {
  check(backendURL && apiKey && target, "BACKEND_URL, API_KEY and a target are required");
  if (mode === "elicit") return elicitFlow();
  const client = new Client({ name: "interop", version: "1.0.0" });
  let listChanged = 0;
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
    listChanged++;
  });
  const logged = [];
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
    logged.push(n.params);
  });
  await client.connect(transportFor());
  check(client.getServerCapabilities()?.logging && client.getServerCapabilities()?.completions && client.getServerCapabilities()?.prompts, `capabilities: ${JSON.stringify(client.getServerCapabilities())}`);

  // The default surface: the official server's core, the gate and the way
  // to every other tool (find-tools, call-tool). The list is the same
  // before and after connect-project: the gate is in the calls.
  const listed = (await client.listTools()).tools;
  let tools = listed.map((t) => t.name);
  for (const want of ["connect-project", "disconnect-project", "find-tools", "call-tool", "run-raw-sql", "get-backend-metadata"]) {
    check(tools.includes(want), `${want} missing from the default tools/list: ${tools}`);
  }
  check(!tools.includes("list-tables"), `tools/list is not the default surface (lists list-tables): ${tools}`);
  const hints = {};
  for (const t of listed) {
    const a = t.annotations ?? {};
    check(typeof a.title === "string" && a.title !== "", `${t.name} has no title annotation`);
    for (const h of ["readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"]) {
      check(a[h] === undefined || typeof a[h] === "boolean", `${t.name}: ${h} is ${JSON.stringify(a[h])}`);
    }
    hints[t.name] = hintsOf(a);
  }
  check(hints["get-backend-metadata"].readOnly && !hints["get-backend-metadata"].destructive, "get-backend-metadata does not read as read-only");
  check(hints["find-tools"].readOnly && !hints["find-tools"].openWorld, "find-tools does not read as read-only and closed-world");
  check(!hints["delete-bucket"].readOnly && hints["delete-bucket"].destructive, "delete-bucket does not read as destructive");

  const locked = await client.callTool({ name: "run-raw-sql", arguments: { query: "SELECT 1" } });
  check(locked.isError && /connect-project/.test(text(locked)), `run-raw-sql before connecting: ${text(locked)}`);
  const lockedByName = await client.callTool({ name: "call-tool", arguments: { name: "list-tables", arguments: {} } });
  check(lockedByName.isError && /connect-project/.test(text(lockedByName)), `call-tool list-tables before connecting: ${text(lockedByName)}`);

  // A resource behind the gate is refused with -32600 (not -32603, internal error) and what to do.
  const lockedRead = await client.readResource({ uri: "insforge://metadata" }).then(() => null, (e) => e);
  check(lockedRead?.code === -32600 && /call connect-project/.test(lockedRead.message), `insforge://metadata before connecting: ${lockedRead?.code} ${lockedRead?.message}`);

  const bad = await client.callTool({ name: "connect-project", arguments: { projectUrl: backendURL, apiKey: "ik_" + "0".repeat(64) } });
  check(bad.isError && /refused the key/.test(text(bad)), `bad key not reported: ${text(bad)}`);
  const stillLocked = await client.callTool({ name: "run-raw-sql", arguments: { query: "SELECT 1" } });
  check(stillLocked.isError && /connect-project/.test(text(stillLocked)), `bad key unlocked tools: ${text(stillLocked)}`);

  // Nothing is logged before the client sets a level; at info, connecting
  // is.
  check(logged.length === 0, `log messages before logging/setLevel: ${JSON.stringify(logged)}`);
  await client.setLoggingLevel("info");
  const good = await client.callTool({ name: "connect-project", arguments: { projectUrl: backendURL, apiKey } });
  check(!good.isError, `connect failed: ${text(good)}`);
  check(!text(good).includes(apiKey), "connect result echoes the key");
  for (let i = 0; i < 50 && !logged.some((m) => String(m.data).startsWith("Connected to the InsForge project")); i++) {
    await new Promise((r) => setTimeout(r, 20));
  }
  const connectedLog = logged.find((m) => String(m.data).startsWith("Connected to the InsForge project"));
  check(connectedLog?.level === "info" && connectedLog?.logger === "insforge-mcp", `no info log message for connect-project: ${JSON.stringify(logged)}`);
  check(!JSON.stringify(logged).includes(apiKey), "a log message carries the key");
  const after = (await client.listTools()).tools.map((t) => t.name);
  check(JSON.stringify(after) === JSON.stringify(tools), `the tool list changed as a side effect of connect-project:\nbefore ${tools}\nafter  ${after}`);
  await new Promise((r) => setTimeout(r, 100));
  check(listChanged === 0, `notifications/tools/list_changed sent for a list that did not change (${listChanged})`);

  const meta = await client.callTool({ name: "get-backend-metadata", arguments: {} });
  check(!meta.isError && text(meta).includes("database"), `get-backend-metadata: ${text(meta)}`);
  const sql = await client.callTool({ name: "run-raw-sql", arguments: { query: "SELECT 1" } });
  check(!sql.isError && text(sql).includes("rows"), `run-raw-sql: ${text(sql)}`);

  await discovery(client);
  await promptsAndCompletion(client);

  if (mode === "stdio") await deployWithProgress(client);

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
