// The dashboard with GitHub (the stand-in): sign in with GitHub, create a project from a repository
// (one the user cannot see first: the message is next to the repository field), watch its first build
// from the repository go live with its commit, then open a pull request (a signed webhook, as GitHub
// sends it) and see its preview listed with its URL.
//
// Environment: BERTH_URL, SHOTS, PLAYWRIGHT_DIR, CHROMIUM, MAIN_SHA (the branch head), and the pull
// request's delivery: PR_EVENT, PR_ID, PR_SIGNATURE, PR_BODY_FILE.
import { createRequire } from "node:module";
import { mkdirSync, readFileSync } from "node:fs";
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
const PROJECT = "gh-demo";

function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`);
}

async function shot(page, name) {
  const file = join(shots, `github-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  console.log(`screenshot ${file}`);
}

async function main() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync"],
  });
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 860 } })).newPage();
  page.setDefaultTimeout(30_000);

  // Sign in with GitHub: the stand-in approves at once and sends the browser back.
  await page.goto(`${base}/projects`);
  await page.getByRole("link", { name: "Sign in with GitHub" }).click();
  await page.getByRole("heading", { name: "Projects" }).waitFor();
  check((await page.locator(".who").textContent()).includes("octo"), "signed in as the GitHub user");

  // A repository the user cannot see is refused next to the repository field.
  await page.getByRole("link", { name: "New project" }).click();
  await page.getByLabel("Repository").fill("someone/else");
  await page.getByLabel("Name").fill(PROJECT);
  await page.getByRole("button", { name: "Create project" }).click();
  const repoError = await page.locator("#repo-error").textContent();
  check(/repository/i.test(repoError), `the repository's error is next to it: ${repoError}`);
  await shot(page, "repo-refused");
  await page.getByLabel("Repository").fill("octo/demo");
  await page.getByRole("button", { name: "Create project" }).click();
  await page.getByRole("heading", { name: PROJECT, exact: true }).waitFor();

  // The first deployment builds the branch head; its log streams until it is live.
  await page.getByRole("link", { name: "Deployments" }).click();
  await page.locator("table.deployments tbody tr td:nth-child(2) a").first().click();
  await page.waitForFunction(() => document.querySelector("#build-log").textContent.includes("live: /gh-demo/mcp"), null, { timeout: 240_000 });
  await shot(page, "first-build");

  await page.goto(`${base}/projects/${PROJECT}`);
  await shot(page, "overview");
  const live = await page.locator("main").textContent();
  check(live.includes("octo") && live.includes("first deployment"), `the live deployment names its author and message: ${live}`);

  // A pull request opens: GitHub's signed webhook queues its preview, which the deployments page lists.
  const answer = await fetch(`${base}/webhooks/github`, {
    method: "POST",
    headers: {
      "content-type": "application/json", "user-agent": "GitHub-Hookshot/berth-standin",
      "x-github-event": env("PR_EVENT"), "x-github-delivery": env("PR_ID"), "x-hub-signature-256": env("PR_SIGNATURE"),
    },
    body: readFileSync(env("PR_BODY_FILE")),
  });
  check(answer.status === 202, `the webhook is accepted (${answer.status})`);
  for (let i = 0; ; i++) {
    await page.goto(`${base}/projects/${PROJECT}/deployments`);
    const previews = await page.locator("section.card").nth(1).textContent();
    if (previews.includes(`/${PROJECT}-pr-1/mcp`)) break;
    check(i < 480, `the preview goes live: ${previews}`);
    await page.waitForTimeout(500);
  }
  check((await page.locator("section.card").nth(1).textContent()).includes("PR #1"), "the preview names its pull request");
  await shot(page, "preview");
  await browser.close();
  console.log("dashboard with GitHub: all steps passed");
}

main().catch((e) => {
  console.error(e.stack || String(e));
  process.exit(1);
});
