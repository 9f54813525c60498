import assert from "node:assert/strict";
import {execFileSync} from "node:child_process";
import {existsSync, mkdtempSync, readFileSync, statSync} from "node:fs";
import {tmpdir} from "node:os";
import path from "node:path";
import {test} from "node:test";
import yauzl from "yauzl";

const root = path.resolve(import.meta.dirname, "../..");

function listZip(file: string): Promise<Map<string, number>> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, {lazyEntries: true}, (err, zip) => {
      if (err || !zip) return reject(err);
      const entries = new Map<string, number>();
      zip.on("entry", (e: yauzl.Entry) => {
        entries.set(e.fileName, e.uncompressedSize);
        zip.readEntry();
      });
      zip.on("end", () => resolve(entries));
      zip.on("error", reject);
      zip.readEntry();
    });
  });
}

test("vsce package builds a VSIX that ships the runtime and leaves sources, tests and dev files out", {timeout: 300_000}, async () => {
  assert.ok(existsSync(path.join(root, "dist/extension.cjs")), "run `npm run build` first");
  const out = path.join(mkdtempSync(path.join(tmpdir(), "dynsplit-vsix-")), "dynsplit-chat.vsix");
  execFileSync(
    path.join(root, "node_modules/.bin/vsce"),
    ["package", "--allow-missing-repository", "--no-update-package-json", "--readme-path", "EXTENSION.md", "-o", out],
    {cwd: root, stdio: "pipe"}
  );
  const entries = await listZip(out);
  const files = [...entries.keys()].filter((f) => f.startsWith("extension/")).map((f) => f.slice("extension/".length));
  const has = (f: string) => files.includes(f);

  // What the extension needs at run time.
  for (const f of [
    "package.json",
    "dist/extension.cjs",
    "dist/worker.mjs",
    "dist/cli.mjs",
    "dist/media/chat.js",
    "dist/media/visualizer.js",
    "media/chat.css",
    "media/visualizer.css",
  ])
    assert.ok(has(f), `${f} is in the VSIX`);
  assert.ok(has("docs/results/report.md"), "the benchmark report ships for Open Benchmark Report");
  const card = JSON.parse(readFileSync(path.join(root, "models/card.json"), "utf8"));
  assert.ok(has("models/card.json") && has(`models/${card.model}`), "the bundled model and its card ship");
  assert.ok(has("node_modules/node-llama-cpp/package.json"), "node-llama-cpp ships (it is external to the bundles)");
  assert.ok(
    files.some((f) => f.startsWith("node_modules/@node-llama-cpp/linux-x64/")),
    "the CPU binary ships"
  );
  // The CPU KV-hook build: what node-llama-cpp checks before it loads a local build, and the addon with its libraries.
  const hook = files.find((f) => /^node_modules\/node-llama-cpp\/llama\/localBuilds\/[^/]+\/Release\/llama-addon\.node$/.test(f));
  assert.ok(hook, "the CPU KV-hook build ships");
  const hookDir = hook.slice(0, -"Release/llama-addon.node".length);
  for (const f of ["buildDone.status", "Release/_nlcBuildMetadata.json"]) assert.ok(has(hookDir + f), `${hookDir}${f} ships`);
  assert.ok(
    files.some((f) => f.startsWith(`${hookDir}Release/libllama.`)),
    "the hook's libllama ships"
  );
  assert.ok(!/cuda|vulkan/.test(hookDir), "the shipped hook build is the CPU one");
  // What "Build the KV Hook for This Machine" runs.
  for (const f of [
    "scripts/build-kernels.mjs",
    "scripts/hookBuilds.mjs",
    "kernels/variants.json",
    "kernels/llama.cpp.patch",
    "kernels/node-llama-cpp-addon.patch",
  ])
    assert.ok(has(f), `${f} ships for the build command`);
  assert.ok(
    files.some((f) => f.startsWith("kernels/llama/src/")) && files.some((f) => f.startsWith("kernels/addon/")),
    "our kernel sources ship"
  );

  // What must not ship.
  const forbidden = files.filter(
    (f) =>
      /^(src|test|bench-results|\.ci)\//.test(f) ||
      (f.startsWith("scripts/") && f !== "scripts/build-kernels.mjs" && f !== "scripts/hookBuilds.mjs") ||
      (f.startsWith("kernels/") && f.endsWith(".md")) ||
      (f.startsWith("docs/") && !f.startsWith("docs/results/")) ||
      (f.endsWith(".ts") && !f.endsWith(".d.ts")) ||
      f.endsWith(".map") ||
      /^(tsconfig\.json|esbuild\.mjs|media\/src\/)/.test(f) ||
      f.startsWith("models/work/") ||
      f.includes("gitRelease.bundle") ||
      (f.includes("llama/localBuilds/") && !/\/localBuilds\/[^/]+\/(buildDone\.status|Release\/[^/]+\.(node|so|json))$/.test(f)) ||
      /^node_modules\/@node-llama-cpp\/[^/]*cuda/.test(f) ||
      /^node_modules\/(typescript|esbuild|fast-check|@vscode\/vsce|tsx|playwright-core|mocha|code-server)\//.test(f)
  );
  assert.deepEqual(forbidden, [], "sources, tests, dev files and unused binaries stay out");
  const totalBytes = [...entries.values()].reduce((a, b) => a + b, 0);
  const packed = statSync(out).size;
  console.log(
    `VSIX: ${files.length} files, ${(packed / 2 ** 20).toFixed(1)} MiB packed, ${(totalBytes / 2 ** 20).toFixed(1)} MiB unpacked`
  );
  assert.ok(packed <= 80 * 2 ** 20, `the VSIX is ${(packed / 2 ** 20).toFixed(1)} MiB, over its 80 MiB budget`);
});
