// `npm run test:electron`: the in-host mocha suite (test/vscode/) through @vscode/test-electron's runTests().
// With network, test-electron downloads VS Code desktop as usual and runs the suite in it. Offline (this
// project's machines), or with DYNSPLIT_OFFLINE_SHIM=1, runTests() is given scripts/vscode-host/code-shim.sh as
// vscodeExecutablePath: the same suite then runs in code-server's Node extension host (needs `npm run vscode:install`).
// Env: VSCODE_VERSION (download, default "stable"), DYNSPLIT_OFFLINE_SHIM=1 (skip the download).
import {downloadAndUnzipVSCode, runTests} from "@vscode/test-electron";
import {spawnSync} from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {fileURLToPath} from "node:url";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const SHIM = path.join(REPO, "scripts/vscode-host/code-shim.sh");
const extensionDevelopmentPath = REPO;
const extensionTestsPath = path.join(REPO, "dist/test/vscode/index.cjs");

function node(script) {
  const r = spawnSync(process.execPath, [script], {cwd: REPO, stdio: "inherit"});
  if (r.status !== 0) process.exit(r.status ?? 1);
}
node(path.join(REPO, "esbuild.mjs"));
node(path.join(REPO, "scripts/vscode-host/build-tests.mjs"));

let vscodeExecutablePath = SHIM;
let launchArgs = [];
let scratch = null;
if (process.env.DYNSPLIT_OFFLINE_SHIM === "1") {
  console.log("[test-electron] DYNSPLIT_OFFLINE_SHIM=1: using the code-server shim");
} else {
  try {
    vscodeExecutablePath = await downloadAndUnzipVSCode({version: process.env.VSCODE_VERSION || "stable", timeout: 20_000});
    // Real VS Code opens the folder in place: give it a copy of the fixture workspace, and no other extensions.
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), "dynsplit-electron-"));
    const ws = path.join(scratch, "workspace");
    fs.cpSync(path.join(REPO, "test/fixtures/workspace"), ws, {recursive: true});
    launchArgs = [ws, "--disable-extensions"];
  } catch (err) {
    console.log(`[test-electron] VS Code download failed (${err?.message || err}): falling back to the code-server shim`);
    vscodeExecutablePath = SHIM; // the shim copies test/fixtures/workspace itself
  }
}

let code = 0;
try {
  await runTests({vscodeExecutablePath, extensionDevelopmentPath, extensionTestsPath, launchArgs});
} catch (err) {
  console.error(`[test-electron] tests failed: ${err?.message || err}`);
  code = 1;
} finally {
  if (scratch) fs.rmSync(scratch, {recursive: true, force: true});
}
process.exit(code);
