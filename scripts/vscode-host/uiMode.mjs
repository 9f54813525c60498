// `run.mjs ui [names]`: the UI scenarios test/ui/*.ui.mjs against the extension linked into a fresh extensions
// dir, each in its own browser context; screenshots in test/artifacts/.
import fs from "node:fs";
import path from "node:path";
import util from "node:util";
import {pathToFileURL} from "node:url";
import {
  ARTIFACTS,
  checkExtensionBuilt,
  checkHost,
  folderQuery,
  openBrowser,
  prepareScratch,
  remember,
  REPO,
  startServer,
  VERBOSE,
} from "./host.mjs";
import {runCommand, webviewFrame} from "./uiHelpers.mjs";

export async function runUiMode(run, filters) {
  checkHost();
  const extDir = path.resolve(process.env.VSCODE_EXT_DEV_PATH || REPO);
  const pkg = checkExtensionBuilt(run, extDir);
  const scenarioDir = path.join(REPO, "test/ui");
  let scenarios = fs
    .readdirSync(scenarioDir)
    .filter((f) => f.endsWith(".ui.mjs"))
    .sort();
  if (filters.length) scenarios = scenarios.filter((f) => filters.some((x) => f.includes(x)));
  if (!scenarios.length) throw new Error(`no UI scenarios in ${scenarioDir}${filters.length ? ` matching ${filters.join(", ")}` : ""}`);
  fs.mkdirSync(ARTIFACTS, {recursive: true});

  const dirs = prepareScratch(run);
  const linkName = `${pkg.publisher}.${pkg.name}-${pkg.version}`;
  run.link = path.join(dirs.extensions, linkName);
  fs.symlinkSync(extDir, run.link, "dir");
  run.say(`extension linked as ${linkName}`);
  const {host} = await startServer(run, dirs, {smoke: false});
  const browser = await openBrowser(run, dirs);

  for (const file of scenarios) {
    const name = file.replace(/\.ui\.mjs$/, "");
    const started = Date.now();
    run.step = `running UI scenario ${name}`;
    const context = await browser.newContext({viewport: {width: 1280, height: 800}});
    const page = await context.newPage();
    run.pageLog = [];
    page.on("console", (msg) => {
      remember(run.pageLog, `${msg.type()}: ${msg.text()}`);
      if (VERBOSE) console.log(`[workbench ${msg.type()}] ${msg.text()}`);
    });
    page.on("pageerror", (err) => remember(run.pageLog, `pageerror: ${err.message}`));
    const log = (...a) => console.log(`[ui:${name}] ${util.format(...a)}`);
    const helpers = {
      page,
      log,
      artifactsDir: ARTIFACTS,
      workspaceDir: dirs.workspace,
      baseUrl: `http://${host}/`,
      runCommand: (title, opts) => runCommand(page, title, opts),
      frame: (what, opts) => webviewFrame(page, what, opts),
      webviewFrame: (what, opts) => webviewFrame(page, what, opts),
      screenshot: async (shot) => {
        const out = path.join(ARTIFACTS, shot.endsWith(".png") ? shot : `${shot}.png`);
        await page.screenshot({path: out});
        log(`screenshot ${path.relative(REPO, out)}`);
        return out;
      },
    };
    try {
      await page.goto(`http://${host}/?folder=${folderQuery(dirs.workspace)}`);
      await page.locator(".monaco-workbench .part.statusbar").waitFor({state: "visible", timeout: 90_000});
      log(`workbench up after ${((Date.now() - started) / 1000).toFixed(1)}s`);
      const mod = await import(pathToFileURL(path.join(scenarioDir, file)).href);
      if (typeof mod.run !== "function") throw new Error(`${file} does not export async function run(...)`);
      await mod.run(helpers);
      run.tally.passed++;
      console.log(`  ✔ ${name} (${((Date.now() - started) / 1000).toFixed(1)}s)`);
    } catch (err) {
      if (run.cleaning) break; // timed out or interrupted: finish() reports
      run.tally.failed++;
      console.log(`  ✘ ${name} (${((Date.now() - started) / 1000).toFixed(1)}s)`);
      console.error(err?.stack || String(err));
      const shot = path.join(ARTIFACTS, `${name}-failure.png`);
      await page.screenshot({path: shot}).then(
        () => console.error(`failure screenshot: ${path.relative(REPO, shot)}`),
        () => {}
      );
      run.dumpLogs();
    } finally {
      await context.close().catch(() => {});
    }
  }
  await run.finish(run.tally.passed, run.tally.failed);
}
