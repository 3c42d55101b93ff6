// Real MCP clients sign in to a private project through Berth's OAuth authorization server, with the
// browser flow a user goes through: the GitHub user (the stand-in) creates a project from a repository
// and makes it private; then each Python client (the official `mcp` client, then `fastmcp.Client`) is
// started, registers itself, and prints the authorization URL; a browser that is not signed in opens
// it, is sent to sign in with GitHub and back, sees the consent page naming the client and the project,
// allows, and is redirected to the client's loopback callback; the client then lists and calls tools.
//
// Environment: BERTH_URL, SHOTS, PLAYWRIGHT_DIR, CHROMIUM, PYTHON, OAUTH_CLIENT (the client script),
// PROJECT.
import { createRequire } from "node:module";
import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const require = createRequire(join(env("PLAYWRIGHT_DIR"), "package.json"));
const { chromium } = require("playwright-core");

const base = env("BERTH_URL");
const shots = env("SHOTS");
const PROJECT = env("PROJECT");
mkdirSync(shots, { recursive: true });

function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`);
}

async function shot(page, name) {
  const file = join(shots, `oauth-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  console.log(`screenshot ${file}`);
}

/// Runs the Python client; resolves with its RESULT once it exits, calling `onAuthorize(url)` when it
/// asks for the browser.
function runClient(kind, onAuthorize) {
  return new Promise((resolve, reject) => {
    const url = `${base}/${PROJECT}/mcp`;
    const child = spawn(env("PYTHON"), [env("OAUTH_CLIENT"), kind, url, "secret_word", "{}"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let result = null;
    let stderr = "";
    child.stderr.on("data", (d) => { stderr += d; });
    createInterface({ input: child.stdout }).on("line", (line) => {
      console.log(`[${kind}] ${line}`);
      if (line.startsWith("AUTHORIZE ")) {
        onAuthorize(line.slice("AUTHORIZE ".length)).catch((e) => {
          child.kill();
          reject(e);
        });
      } else if (line.startsWith("RESULT ")) {
        result = JSON.parse(line.slice("RESULT ".length));
      }
    });
    child.on("exit", (code) => {
      if (code === 0 && result) resolve(result);
      else reject(new Error(`the ${kind} client exited ${code}:\n${stderr}`));
    });
  });
}

async function main() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync"],
  });
  const owner = await (await browser.newContext({ viewport: { width: 1100, height: 800 } })).newPage();
  owner.setDefaultTimeout(30_000);

  // The GitHub user creates the project from their repository and waits for it to go live.
  await owner.goto(`${base}/projects`);
  await owner.getByRole("link", { name: "Sign in with GitHub" }).click();
  await owner.getByRole("heading", { name: "Projects" }).waitFor();
  await owner.getByRole("link", { name: "New project" }).click();
  await owner.getByLabel("Repository").fill("octo/demo");
  await owner.getByLabel("Name").fill(PROJECT);
  await owner.getByRole("button", { name: "Create project" }).click();
  await owner.getByRole("heading", { name: PROJECT, exact: true }).waitFor();
  await owner.getByRole("link", { name: "Deployments" }).click();
  await owner.locator("table.deployments tbody tr td:nth-child(2) a").first().click();
  await owner.waitForFunction((p) => document.querySelector("#build-log").textContent.includes(`live: /${p}/mcp`), PROJECT, { timeout: 240_000 });

  // Private, through the REST API with the session's CSRF token.
  const status = await owner.evaluate(async (p) => {
    const session = await (await fetch("/auth/session")).json();
    const answer = await fetch(`/api/v1/projects/${p}`, {
      method: "PATCH",
      headers: { "content-type": "application/json", "x-csrf-token": session.csrfToken },
      body: JSON.stringify({ private: true }),
    });
    return answer.status;
  }, PROJECT);
  check(status === 200, `the project is made private (${status})`);
  const anonymous = await fetch(`${base}/${PROJECT}/mcp`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" }),
  });
  check(anonymous.status === 401, `an anonymous request is refused (${anonymous.status})`);

  for (const kind of ["mcp", "fastmcp"]) {
    // A browser that is not signed in: the authorization page sends it to GitHub and back.
    const context = await browser.newContext({ viewport: { width: 900, height: 800 } });
    const page = await context.newPage();
    page.setDefaultTimeout(30_000);
    const result = await runClient(kind, async (url) => {
      check(url.startsWith(`${base}/oauth/authorize?`), `the client was sent to Berth's authorization endpoint: ${url}`);
      await page.goto(url);
      await page.getByRole("button", { name: "Allow" }).waitFor();
      const text = await page.locator("main").textContent();
      check(text.includes(PROJECT) && text.includes("Berth e2e"), `the consent page names the project and the client: ${text}`);
      check(text.includes("octo"), `the consent page names the signed-in user: ${text}`);
      await shot(page, `${kind}-consent`);
      await page.getByRole("button", { name: "Allow" }).click();
      await page.waitForURL(/^http:\/\/(127\.0\.0\.1|localhost):\d+\/callback\?/);
      const back = new URL(page.url());
      check(back.searchParams.get("iss") === base, `the answer names the issuer: ${page.url()}`);
      check(back.searchParams.get("code"), "the answer carries a code");
    });
    check(!result.is_error && result.text === "swordfish", `the ${kind} client called the tool: ${JSON.stringify(result)}`);
    check(result.tools.includes("secret_word"), `the ${kind} client listed the tools: ${JSON.stringify(result)}`);
    await context.close();
  }

  // The owner sees the connected clients.
  const grants = await owner.evaluate(async () => (await (await fetch("/api/v1/oauth/grants")).json()).grants);
  check(grants.length === 2, `two connected clients: ${JSON.stringify(grants)}`);
  check(grants.every((g) => g.project === PROJECT), `both for the project: ${JSON.stringify(grants)}`);
  await browser.close();
  console.log("oauth: all steps passed");
}

main().catch((e) => {
  console.error(e.stack || String(e));
  process.exit(1);
});
