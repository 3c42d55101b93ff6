// The official conformance suite's `authorization` command against Berth's authorization server: its
// metadata scenario, then its authorization code grant, whose authorization URL a signed-in browser
// opens and allows, as its operator would.
//
// Environment: BERTH_URL, BERTH_SIGN_IN (a one-time sign-in link), PLAYWRIGHT_DIR, CHROMIUM,
// CONFORMANCE (the suite's CLI), CLIENT_ID (pre-registered with http://127.0.0.1:<CALLBACK_PORT>/callback),
// CALLBACK_PORT, RESOURCE (a project's MCP URL).
import { createRequire } from "node:module";
import { spawn } from "node:child_process";
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

function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`);
}

async function main() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync"],
  });
  const page = await (await browser.newContext()).newPage();
  page.setDefaultTimeout(30_000);
  await page.goto(env("BERTH_SIGN_IN"));

  const suite = spawn(process.execPath, [env("CONFORMANCE"), "authorization", "--url", base, "--client-id", env("CLIENT_ID"),
    "--resource", env("RESOURCE"), "--port", env("CALLBACK_PORT")], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  suite.stderr.on("data", (d) => { output += d; });
  const allowed = new Promise((resolve, reject) => {
    createInterface({ input: suite.stdout }).on("line", (line) => {
      console.log(`[conformance] ${line}`);
      output += `${line}\n`;
      if (line.startsWith(`${base}/oauth/authorize?`)) {
        (async () => {
          await page.goto(line);
          await page.getByRole("button", { name: "Allow" }).click();
          await page.waitForURL(new RegExp(`^http://127\\.0\\.0\\.1:${env("CALLBACK_PORT")}/callback\\?`));
        })().then(resolve, reject);
      }
    });
  });
  const code = await new Promise((resolve) => suite.on("exit", resolve));
  await allowed;
  check(code === 0, `the suite passes (exit ${code}):\n${output}`);
  check(/authorization-code-grant: \d+ passed, 0 failed/.test(output), `the code grant scenario ran and passed:\n${output}`);
  check(/authorization-server-metadata-endpoint: \d+ passed, 0 failed/.test(output), `the metadata scenario passed:\n${output}`);
  await browser.close();
  console.log("conformance authorization: all steps passed");
}

main().catch((e) => {
  console.error(e.stack || String(e));
  process.exit(1);
});
