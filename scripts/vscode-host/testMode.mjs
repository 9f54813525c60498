// `run.mjs test`: the in-host mocha suite (test/vscode/, compiled by build-tests.mjs), run in the Node extension
// host through the smoke-test driver payload; its reporter's lines come back through the page's automation log.
import {spawnSync} from "node:child_process";
import path from "node:path";
import {
  checkExtensionBuilt,
  checkHost,
  folderQuery,
  formatArgs,
  openBrowser,
  prepareScratch,
  remember,
  REPO,
  startServer,
  VERBOSE,
} from "./host.mjs";

const TAG = "[test] ";

export async function runTestMode(run) {
  checkHost();
  const extDir = path.resolve(process.env.VSCODE_EXT_DEV_PATH || REPO);
  let testsPath = process.env.VSCODE_TESTS_PATH;
  if (!testsPath) {
    run.step = "building the tests";
    const r = spawnSync(process.execPath, [path.join(REPO, "scripts/vscode-host/build-tests.mjs")], {cwd: REPO, stdio: "inherit"});
    if (r.status !== 0) throw new Error("building the in-host tests failed");
    testsPath = path.join(REPO, "dist/test/vscode/index.cjs");
  }
  testsPath = path.resolve(testsPath);
  checkExtensionBuilt(run, extDir);

  const dirs = prepareScratch(run);
  const {host} = await startServer(run, dirs, {smoke: true});
  const browser = await openBrowser(run, dirs);
  const page = await (await browser.newContext({viewport: {width: 1280, height: 800}})).newPage();

  let counted = {passed: 0, failed: 0};
  let result = null;
  let gotExit;
  const exitCode = new Promise((r) => (gotExit = r));
  await page.exposeFunction("codeAutomationLog", (type, args) => {
    const text = formatArgs(args);
    for (const line of text.split("\n")) {
      const i = line.indexOf(TAG);
      if (i >= 0) {
        const body = line.slice(i + TAG.length);
        const m = /^__result__ (\{.*\})/.exec(body);
        if (m) {
          try {
            result = JSON.parse(m[1]);
          } catch {}
          continue;
        }
        let n;
        if ((n = /^\s*(\d+) passing\b/.exec(body))) counted.passed = Number(n[1]);
        if ((n = /^\s*(\d+) failing\b/.exec(body))) counted.failed = Number(n[1]);
        console.log(TAG + body);
      } else {
        remember(run.pageLog, `${type}: ${line}`);
        if (VERBOSE) console.log(`[workbench ${type}] ${line}`);
      }
    }
  });
  await page.exposeFunction("codeAutomationExit", (code) => gotExit(Number(code)));
  page.on("pageerror", (err) => remember(run.pageLog, `pageerror: ${err.message}`));
  page.on("crash", () => {
    console.error("[vscode-host] the workbench page crashed");
    gotExit(1);
  });

  const payload = [
    ["extensionDevelopmentPath", `vscode-remote://${host}${extDir}`],
    ["extensionTestsPath", `vscode-remote://${host}${testsPath}`],
    ["skipWelcome", "true"],
  ];
  const url = `http://${host}/?folder=${folderQuery(dirs.workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
  run.step = "running the in-host tests";
  run.say(`workbench: tests ${path.relative(REPO, testsPath) || testsPath} against ${extDir}`);
  await page.goto(url);
  const code = await exitCode;
  run.say(`extension tests finished with exit code ${code}`);
  const passed = result?.passed ?? counted.passed;
  let failed = result?.failed ?? counted.failed;
  if (code !== 0 && failed === 0) failed = 1; // the suite did not run or could not load: still a failure
  if (code !== 0 && (!result || VERBOSE))
    run.dumpLogs(); // the suite did not report: the logs say why
  else if (code !== 0) run.say("some tests failed (VERBOSE=1 also prints the workbench, extension host and code-server logs)");
  await run.finish(passed, failed);
}
