// Drives the Berth dashboard in headless Chromium, as a user would: sign in with the one-time link,
// create a project (a wrong name first), deploy it and watch the build log stream to "live", copy the
// URL, call a tool from the inspector, add a secret, deploy again and roll back, read the metrics, and
// sign out. Every step asserts on what the page shows, and saves a screenshot.
//
// Environment: BERTH_URL, BERTH_SIGN_IN (the one-time link), BERTH_BIN, BERTH_DATA_DIR, BERTH_TOOLS,
// BERTH_HOME, PROJECT_V1 and PROJECT_V2 (folders to deploy), SHOTS (screenshot folder),
// PLAYWRIGHT_DIR (where playwright-core is installed), CHROMIUM (the browser; default /usr/bin/chromium).
import { createRequire } from "node:module";
import { spawn } from "node:child_process";
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
const shots = env("SHOTS");
mkdirSync(shots, { recursive: true });
const PROJECT = "demo";

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

/** Runs `berth deploy <dir> --project demo` and resolves with its output once it exits. */
function deploy(dir) {
  return new Promise((resolve, reject) => {
    const child = spawn(env("BERTH_BIN"), ["deploy", dir, "--project", PROJECT, "--server", base, "--data-dir", env("BERTH_DATA_DIR")], {
      env: Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== "BERTH_TOKEN")),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`berth deploy exited ${code}:\n${out}`))));
  });
}

/** Opens the newest deployment from the deployments page, waiting for it to appear. */
async function openNewestDeployment(page, count) {
  for (let i = 0; i < 120; i++) {
    await page.goto(`${base}/projects/${PROJECT}/deployments`);
    const rows = page.locator("table.deployments tbody tr");
    if ((await rows.count()) >= count) {
      await rows.first().locator("td:nth-child(2) a").click();
      return;
    }
    await page.waitForTimeout(250);
  }
  throw new Error(`no ${count}th deployment appeared`);
}

async function main() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync"],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: base });
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));

  // Signed out, the dashboard asks to sign in.
  await page.goto(`${base}/projects`);
  await page.getByRole("heading", { name: "Sign in to Berth" }).waitFor();
  await shot(page, "sign-in");

  // The one-time link signs the operator in and lands on the projects.
  await page.goto(env("BERTH_SIGN_IN"));
  await page.getByRole("heading", { name: "Projects" }).waitFor();
  check((await page.locator(".who").textContent()).includes("operator"), "the header names the operator");
  await shot(page, "projects-empty");

  // Create a project; a malformed name is refused next to the name field.
  await page.getByRole("link", { name: "New project" }).click();
  await page.getByLabel("Name").fill("Demo Server");
  await page.getByLabel("Entry point").fill("server");
  await page.getByRole("button", { name: "Create project" }).click();
  const slugError = await page.locator("#slug-error").textContent();
  check(/lowercase letters/.test(slugError), `the name's error says what to type: ${slugError}`);
  check((await page.locator(".field.invalid #entry").count()) === 1, "the entry point field is marked wrong");
  await shot(page, "new-project-errors");
  await page.getByLabel("Name").fill(PROJECT);
  await page.getByLabel("Entry point").fill("server.py:mcp");
  await page.getByRole("button", { name: "Create project" }).click();
  await page.getByRole("heading", { name: PROJECT, exact: true }).waitFor();
  check((await page.locator("main").textContent()).includes("Nothing is live yet"), "a new project has nothing live");

  // Deploy, and watch the first build's log stream live until the deployment is live.
  const firstDeploy = deploy(env("PROJECT_V1"));
  await openNewestDeployment(page, 1);
  const log = page.locator("#build-log");
  await page.locator("#build-log[data-stream]").waitFor({ timeout: 5_000 }).catch(() => {});
  await page.waitForFunction(() => document.querySelector("#build-log").textContent.includes(`live: /demo/mcp`), null, { timeout: 240_000 });
  await page.waitForFunction(() => document.querySelector("#deploy-status").textContent.trim() === "ready");
  check((await log.textContent()).includes("building"), "the log shows the build");
  await shot(page, "build-log-live");
  await firstDeploy;

  // The overview: URL with a copy button, client configurations, the live deployment, the tools.
  await page.goto(`${base}/projects/${PROJECT}`);
  const url = `${base}/${PROJECT}/mcp`;
  check((await page.locator("#mcp-url").inputValue()) === url, "the MCP URL is shown");
  await page.locator('button[data-copy="#mcp-url"]').click();
  await page.getByRole("button", { name: "Copied" }).waitFor();
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  check(copied === url, `the clipboard holds the URL (got ${copied})`);
  const main = await page.locator("main").textContent();
  check(main.includes(`claude mcp add --transport http ${PROJECT} ${url}`), "the Claude Code command");
  check(main.includes("greet") && main.includes("Greets someone"), "the live build's tools are listed");
  check((await page.locator(".badge.status-live").count()) >= 1, "the project shows as live");
  await shot(page, "overview");

  // The inspector: a form from the input schema, a call against the live deployment, its logs and progress.
  await page.getByRole("link", { name: "Inspector" }).click();
  await page.getByLabel("name").fill("Ada");
  await page.getByLabel("times").fill("2");
  await page.getByRole("button", { name: /^Call greet/ }).click();
  await page.locator(".result-text").first().waitFor();
  const result = await page.locator("#result").textContent();
  check(result.includes("v1: hello Ada, hello Ada"), `the tool's result is shown: ${result}`);
  check(result.includes("greeting Ada"), "its log message is shown");
  check((await page.locator(".progress li").count()) >= 2, "its progress is shown");
  await shot(page, "inspector-result");

  // A secret: added, listed, its value never shown.
  await page.getByRole("link", { name: "Environment" }).click();
  await page.getByLabel("Name").fill("API_KEY");
  await page.getByLabel("Value").fill("s3cret-value");
  await page.getByLabel(/Secret/).check();
  await page.getByRole("button", { name: "Save" }).click();
  await page.getByText("Saved API_KEY.").waitFor();
  const envText = await page.locator("main").textContent();
  check(envText.includes("API_KEY") && envText.includes("secret · hidden"), "the secret is listed as hidden");
  check(!(await page.content()).includes("s3cret-value"), "the secret's value is not on the page");
  await shot(page, "environment");

  // The server sees the secret at once, without a rebuild.
  await page.goto(`${base}/projects/${PROJECT}/inspector?tool=secret_length`);
  await page.getByRole("button", { name: "Call secret_length" }).click();
  await page.locator(".result-text").first().waitFor();
  const length = (await page.locator(".result-text").first().textContent()).trim();
  check(length === String("s3cret-value".length), `the tool reads the new secret (length ${length})`);

  // A second deployment, then roll back to the first with a confirmation.
  await deploy(env("PROJECT_V2"));
  await page.goto(`${base}/projects/${PROJECT}/deployments`);
  const rows = page.locator("table.deployments tbody tr");
  check((await rows.count()) === 2, "two deployments are listed");
  check((await rows.nth(0).locator(".status-live").count()) === 1, "the newest is live");
  let confirmed = "";
  page.once("dialog", (d) => { confirmed = d.message(); d.accept(); });
  await rows.nth(1).getByRole("button", { name: "Make live" }).click();
  await page.waitForURL(`${base}/projects/${PROJECT}/deployments`);
  check(confirmed.includes("live"), `a confirmation was asked: ${confirmed}`);
  await page.waitForFunction(() => document.querySelectorAll("table.deployments tbody tr")[1]?.querySelector(".status-live"));
  await shot(page, "deployments-rolled-back");

  // The rolled-back deployment answers.
  await page.goto(`${base}/projects/${PROJECT}/inspector?tool=greet`);
  await page.getByLabel("name").fill("Bo");
  await page.getByRole("button", { name: /^Call greet/ }).click();
  check((await page.locator("#result").textContent()).includes("v1: hello Bo"), "the first version serves again");

  // Metrics: the calls just made, as charts.
  await page.getByRole("link", { name: "Metrics" }).click();
  const calls = Number(await page.locator(".stats dd").first().textContent());
  check(calls >= 2, `the metrics count the inspector's calls (${calls})`);
  check((await page.locator("svg.chart").count()) >= 4, "charts are drawn");
  check((await page.locator("svg.chart rect.bar").count()) >= 1, "the calls chart has a bar");
  check((await page.locator("table.tool-bars").first().textContent()).includes("greet"), "calls per tool name greet");
  await shot(page, "metrics");

  await page.getByRole("link", { name: "Settings" }).click();
  await page.getByLabel("Time limit per call (seconds)").fill("10");
  await page.getByLabel(/fresh instance/).check();
  await page.getByLabel("Outbound HTTP: more hosts to allow").fill("https://api.example.com/v1");
  await page.getByRole("button", { name: "Save settings" }).click();
  check((await page.locator(".field.invalid").textContent()).includes("is a URL"), "a URL as a host is refused, saying so");
  await page.getByLabel("Outbound HTTP: more hosts to allow").fill("api.example.com\n*.example.org:8443");
  await page.getByRole("button", { name: "Save settings" }).click();
  await page.getByText("Saved.").waitFor();
  check((await page.getByLabel("Outbound HTTP: more hosts to allow").inputValue()) === "api.example.com\n*.example.org:8443", "the allowed hosts are kept");
  check((await page.getByLabel("Time limit per call (seconds)").inputValue()) === "10", "the new time limit is kept");
  check(await page.getByLabel(/fresh instance/).isChecked(), "fresh instances are on");
  check((await page.locator("#delete-button").isDisabled()), "delete waits for the name");
  await page.getByLabel(/to confirm/).fill(PROJECT);
  check(!(await page.locator("#delete-button").isDisabled()), "typing the name enables delete");
  await shot(page, "settings");

  // Someone else's (or no) project is a page a person understands.
  const missing = await page.goto(`${base}/projects/someone-elses`);
  check(missing.status() === 404, "a missing project is a 404");
  check((await page.locator("main").textContent()).includes("There is no project named"), "the 404 says why");
  await shot(page, "not-found");

  // A phone.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${base}/projects/${PROJECT}`);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 1, `the overview fits a phone's width (overflow ${overflow}px)`);
  await shot(page, "overview-phone");
  await page.goto(`${base}/projects/${PROJECT}/deployments`);
  const tableOverflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(tableOverflow <= 1, `the deployments fit a phone's width (overflow ${tableOverflow}px)`);
  await shot(page, "deployments-phone");
  await page.goto(`${base}/projects/${PROJECT}/metrics`);
  await shot(page, "metrics-phone");

  // Keyboard: the skip link is the first stop.
  await page.keyboard.press("Tab");
  check((await page.evaluate(() => document.activeElement.textContent)) === "Skip to content", "the first Tab reaches the skip link");

  // Sign out.
  await page.setViewportSize({ width: 1280, height: 860 });
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.goto(`${base}/projects`);
  await page.getByRole("heading", { name: "Sign in to Berth" }).waitFor();

  check(errors.length === 0, `no script errors: ${errors.join("; ")}`);
  await browser.close();
  console.log("dashboard: all steps passed");
}

main().catch((e) => {
  console.error(e.stack || String(e));
  process.exit(1);
});
