// Compiles the in-host mocha suite for VS Code's extension host, which loads plain JavaScript:
//   test/vscode/index.ts          -> dist/test/vscode/index.cjs      (the extensionTestsPath module: run())
//   test/vscode/**/<x>.test.ts    -> dist/test/vscode/**/<x>.test.cjs (each bundled on its own; index.cjs loads them
//                                     through mocha so that the suite/test globals exist when they run)
// CommonJS; `vscode` (given by the host), `mocha` (required from the repo's node_modules) and `node-llama-cpp`
// (native; keeps its own layout, as in esbuild.mjs) stay external.
// Usage: node scripts/vscode-host/build-tests.mjs
import {build} from "esbuild";
import fs from "node:fs";
import path from "node:path";
import {fileURLToPath} from "node:url";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const SRC = path.join(REPO, "test/vscode");
const OUT = path.join(REPO, "dist/test/vscode");

function findTests(dir) {
  const out = [];
  for (const entry of fs.readdirSync(dir, {withFileTypes: true})) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...findTests(full));
    else if (entry.name.endsWith(".test.ts")) out.push(full);
  }
  return out.sort();
}

const tests = findTests(SRC);
fs.rmSync(OUT, {recursive: true, force: true}); // no stale compiled tests of deleted sources
const started = Date.now();
await build({
  entryPoints: [path.join(SRC, "index.ts"), ...tests],
  outdir: OUT,
  outbase: SRC,
  outExtension: {".js": ".cjs"},
  bundle: true,
  platform: "node",
  target: "node20",
  format: "cjs",
  sourcemap: "linked",
  external: ["vscode", "mocha", "node-llama-cpp"],
  logLevel: "warning",
});
console.log(`[build-tests] ${tests.length} test file(s) -> ${path.relative(REPO, OUT)}/ in ${Date.now() - started} ms`);
