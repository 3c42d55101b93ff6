// Tails a project's runtime log on the dashboard's Logs page in headless Chromium while calls run:
// the page shows what happened before it opened, a call made while it is open appears without a
// reload, and the filters (level, errors only) hold for the live tail too. Calls go to the project's
// MCP URL from here, as any client's would.
//
// Environment: BERTH_URL, BERTH_SIGN_IN (the one-time link), MCP_URL, PROJECT, SHOTS (screenshot
// folder), PLAYWRIGHT_DIR (where playwright-core is installed), CHROMIUM (the browser).
import { createRequire } from "node:module";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const require = createRequire(join(env("PLAYWRIGHT_DIR"), "package.json"));
const { chromium } = require("playwright-core");

const base = env("BERTH_URL");
const project = env("PROJECT");
const shots = env("SHOTS");
mkdirSync(shots, { recursive: true });

function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`);
}

let step = 0;
async function shot(page, name) {
  step += 1;
  const file = join(shots, `${String(step).padStart(2, "0")}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  console.log(`screenshot ${file}`);
}

/** A minimal MCP client (2025 era, one session): initialize, then calls. */
async function mcpSession() {
  const url = env("MCP_URL");
  let session = null;
  let id = 0;
  const post = async (method, params) => {
    id += 1;
    const headers = { "content-type": "application/json", accept: "application/json, text/event-stream" };
    if (session) {
      headers["mcp-session-id"] = session;
      headers["mcp-protocol-version"] = "2025-11-25";
    }
    const res = await fetch(url, { method: "POST", headers, body: JSON.stringify({ jsonrpc: "2.0", id, method, params }) });
    session = res.headers.get("mcp-session-id") || session;
    const text = await res.text();
    check(res.ok, `${method} answered ${res.status}: ${text}`);
    return text;
  };
  await post("initialize", { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "logs-browser-test", version: "1" } });
  return { call: (name, args) => post("tools/call", { name, arguments: args }) };
}

const rowsWith = (page, text) => page.locator("#runtime-log tr", { hasText: text });

async function main() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync"],
  });
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  page.setDefaultTimeout(30_000);
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  try {
    await page.goto(env("BERTH_SIGN_IN"));
    await page.getByRole("heading", { name: "Projects" }).waitFor();

    // What happened before the page opened is there; the tail goes live.
    await page.goto(`${base}/projects/${project}`);
    await page.locator("nav.tabs").getByRole("link", { name: "Logs", exact: true }).click();
    await page.getByRole("heading", { name: "Logs", exact: true }).waitFor();
    check((await rowsWith(page, "logged alpha").count()) >= 1, "earlier events are shown");
    check((await page.locator("main").textContent()).includes("[secret API_KEY]"), "a printed secret shows as its name");
    await page.waitForFunction(() => document.getElementById("log-status").textContent === "live");
    await page.evaluate(() => { window.notReloaded = true; });
    await shot(page, "logs-loaded");

    // A call made while the page is open appears without a reload: its log, output and request.
    const mcp = await mcpSession();
    await mcp.call("shout", { word: "from-the-browser-test-1" });
    await rowsWith(page, "logged from-the-browser-test-1").waitFor();
    await rowsWith(page, "output: printing from-the-browser-test-1").waitFor();
    await page.locator("#runtime-log tr.kind-request", { hasText: "(client logs-browser-test)" }).first().waitFor();
    check(await page.evaluate(() => window.notReloaded === true), "the page was not reloaded");
    await shot(page, "logs-live");

    // Errors only, at warning and above: the form filters what is shown and what the tail adds.
    await page.getByLabel("Level").selectOption("warning");
    await page.getByLabel("Errors only").check();
    await page.getByRole("button", { name: "Apply" }).click();
    await page.waitForURL(/errors=1/);
    await page.waitForFunction(() => document.getElementById("log-status").textContent === "live");
    const before = await rowsWith(page, "tools/call fail").count();
    check(before >= 1, "the earlier failed call is shown");
    check((await page.locator("#runtime-log tr:not(.is-error)").count()) === 0, "only errors are shown");
    await mcp.call("shout", { word: "from-the-browser-test-2" });
    await mcp.call("fail", {});
    await page.waitForFunction((n) => [...document.querySelectorAll("#runtime-log tr")]
      .filter((r) => r.textContent.includes("tools/call fail")).length > n, before);
    check((await rowsWith(page, "from-the-browser-test-2").count()) === 0, "a call that did not fail stays out");
    check((await page.locator("#runtime-log tr:not(.is-error)").count()) === 0, "the tail adds only errors");
    await shot(page, "logs-errors-only");

    check(errors.length === 0, `no script errors on the page: ${errors.join("; ")}`);
    console.log("all steps passed");
  } finally {
    await browser.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
