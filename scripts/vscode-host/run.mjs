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
//
// Files: host.mjs (paths, one run's state and cleanup, server and browser setup), testMode.mjs, uiMode.mjs,
// uiHelpers.mjs (what scenarios get). This file only picks the mode and installs the deadline and signal handlers.
import {HOST_DIR, HostRun, TIMEOUT_MS} from "./host.mjs";
import {runTestMode} from "./testMode.mjs";
import {runUiMode} from "./uiMode.mjs";

const mode = process.argv[2];
const filters = process.argv.slice(3);
if (mode !== "test" && mode !== "ui") {
  console.error("usage: node scripts/vscode-host/run.mjs test | ui [scenario-name-filter...]");
  process.exit(2);
}

const run = new HostRun(mode);
run.deadline = setTimeout(() => {
  console.error(`\n[vscode-host] TIMEOUT: the run exceeded VSCODE_TEST_TIMEOUT_MS=${TIMEOUT_MS} ms while ${run.step}`);
  run.dumpLogs();
  void run.finish(run.tally.passed, run.tally.failed + 1);
}, TIMEOUT_MS);

for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(sig, () => {
    console.error(`\n[vscode-host] ${sig}: cleaning up`);
    void run.finish(run.tally.passed, run.tally.failed + 1);
  });
}
process.on("uncaughtException", (err) => {
  console.error("[vscode-host] uncaught:", err);
  void run.finish(run.tally.passed, run.tally.failed + 1);
});
process.on("unhandledRejection", (err) => {
  console.error("[vscode-host] unhandled rejection:", err);
  void run.finish(run.tally.passed, run.tally.failed + 1);
});

try {
  run.say(`mode ${mode}, host ${HOST_DIR}, timeout ${TIMEOUT_MS} ms`);
  if (mode === "test") await runTestMode(run);
  else await runUiMode(run, filters);
} catch (err) {
  if (!run.cleaning) {
    // (after a timeout or a signal, the calls still pending fail as the browser closes: nothing new to report)
    console.error(`[vscode-host] ERROR: ${err?.stack || err}`);
    run.dumpLogs();
  }
  await run.finish(run.tally.passed, run.tally.failed + 1);
}
