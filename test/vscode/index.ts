// The module VS Code's extension host loads as `extensionTestsPath` (compiled by scripts/vscode-host/build-tests.mjs
// to dist/test/vscode/index.cjs, next to one <name>.test.cjs per test/vscode/**/*.test.ts). VS Code calls `run()`
// and reports its outcome as the test run's exit code.
//
// Both mocha interfaces are enabled: `suite`/`test` (tdd) and `describe`/`it` (bdd). Test files get the globals
// through `/// <reference types="mocha" />`.
//
// Every line mocha prints is tagged with "[test] ": in code-server the extension host's console is forwarded to the
// workbench together with the workbench's own log, and scripts/vscode-host/run.mjs prints only the tagged lines.
// The last tagged line is a machine-readable summary: `[test] __result__ {"passed":N,"failed":N,"pending":N}`.
//
// Environment: MOCHA_GREP (only tests whose full title matches), DYNSPLIT_TEST_TIMEOUT_MS (per test, default 60 s).
import * as fs from "node:fs";
import * as path from "node:path";
import * as util from "node:util";
import Mocha from "mocha";

const TAG = "[test] ";

function tagged(...args: unknown[]): string {
  return util
    .format(...args)
    .split("\n")
    .map((line) => TAG + line)
    .join("\n");
}

function findTestFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, {withFileTypes: true})) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...findTestFiles(full));
    else if (/\.test\.c?js$/.test(entry.name)) out.push(full);
  }
  return out.sort();
}

export function run(): Promise<void> {
  // Stack traces of the bundled tests point into the .ts sources (the build writes linked source maps).
  process.setSourceMapsEnabled?.(true);
  (Mocha.reporters.Base as unknown as {consoleLog: (...a: unknown[]) => void}).consoleLog = (...a: unknown[]) => console.log(tagged(...a));

  const mocha = new Mocha({
    ui: "tdd",
    color: false,
    reporter: "spec",
    timeout: Number(process.env.DYNSPLIT_TEST_TIMEOUT_MS ?? 60_000),
    ...(process.env.MOCHA_GREP ? {grep: process.env.MOCHA_GREP} : {}),
  });
  // Also install the bdd globals (describe/it/before/after...) on the same root suite.
  Mocha.interfaces.bdd(mocha.suite);

  const files = findTestFiles(__dirname);
  for (const file of files) mocha.addFile(file);
  console.log(tagged(`loading ${files.length} test file(s) from ${__dirname}`));

  return new Promise<void>((resolve, reject) => {
    try {
      const runner = mocha.run((failures) => {
        const stats = runner.stats ?? {passes: 0, failures, pending: 0};
        console.log(tagged(`__result__ ${JSON.stringify({passed: stats.passes, failed: stats.failures, pending: stats.pending})}`));
        if (failures > 0) reject(new Error(`${failures} test(s) failed.`));
        else if (files.length === 0) reject(new Error(`no test files found in ${__dirname}`));
        else resolve();
      });
    } catch (err) {
      // A test file that throws while loading (syntax error, missing module) ends up here.
      console.error(tagged("failed to load the tests:", err));
      console.log(tagged(`__result__ ${JSON.stringify({passed: 0, failed: 1, pending: 0})}`));
      reject(err instanceof Error ? err : new Error(String(err)));
    }
  });
}
