#!/usr/bin/env node
// Builds the KV-hook binary of node-llama-cpp (kernels/README.md) with node-llama-cpp's own source-build machinery:
//   1. copy our sources in (kernels/addon → llama/addon, kernels/llama/{include,src} → llama/llama.cpp/…) and apply
//      the two small hook patches (idempotent),
//   2. `node-llama-cpp source download` (from the bundled git bundle: no network when it ships, as in the npm package),
//   3. syntax-check our C++ against that tree (seconds, before the long build),
//   4. `node-llama-cpp source build` with the custom cmake options of kernels/variants.json, which give the build its
//      own folder in llama/localBuilds, so the stock prebuilt binary stays selectable (src/engine/signals/loadLlama.ts).
// Flags: --gpu cuda|vulkan  a GPU variant (needs the toolkit: CUDA's nvcc, or the Vulkan headers and glslc)
//        --incremental      reuse an existing hook build folder: re-copy, re-patch, `cmake --build` (seconds)
//        --check            only steps 1–3 (the syntax check; downloads the tree when it is missing)
//        --toolkits         print what each variant (cpu, cuda, vulkan) lacks on this machine, as JSON, and exit
//        --revert           remove our patches and files from the node-llama-cpp sources and exit
// Progress lines start with "[build:kernels]"; the extension's "Build the KV Hook" command shows them.
import {execFileSync, spawnSync} from "node:child_process";
import {copyFileSync, existsSync, readFileSync, readdirSync, rmSync} from "node:fs";
import os from "node:os";
import {dirname, join, resolve} from "node:path";
import {fileURLToPath} from "node:url";
import {hookBuildFolder, hookCmakeOptions} from "./hookBuilds.mjs";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const kernelsDir = join(repoRoot, "kernels");
const llamaDir = (() => {
  // package.json is not in node-llama-cpp's exports: walk up from its entry point
  let dir = dirname(fileURLToPath(import.meta.resolve("node-llama-cpp")));
  while (!existsSync(join(dir, "llama", "addon")) && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, "llama");
})();
const llamaCppDir = join(llamaDir, "llama.cpp");
const nlcCli = join(dirname(llamaDir), "dist", "cli", "cli.js"); // node-llama-cpp's own CLI, run by this very runtime (no npx needed)
const addonPatch = join(kernelsDir, "node-llama-cpp-addon.patch");
const llamaCppPatch = join(kernelsDir, "llama.cpp.patch");
const argv = process.argv.slice(2);
const args = new Set(argv);
const gpuArg = argv.includes("--gpu") ? argv[argv.indexOf("--gpu") + 1] : "false";
if (!["false", "cuda", "vulkan"].includes(gpuArg)) {
  console.error(`[build:kernels] --gpu takes cuda or vulkan, not ${gpuArg}`);
  process.exit(2);
}
const gpu = gpuArg === "false" ? false : gpuArg;

const cmakeOptions = hookCmakeOptions(gpu);
const buildEnv = {...process.env};
for (const [k, v] of Object.entries(cmakeOptions)) buildEnv[`NODE_LLAMA_CPP_CMAKE_OPTION_${k}`] = v;

/** Our source files and where they go in node-llama-cpp's tree. */
function ourSources() {
  const list = (dir) => (existsSync(dir) ? readdirSync(dir).map((f) => join(dir, f)) : []);
  return [
    ...list(join(kernelsDir, "addon")).map((from) => ({from, to: join(llamaDir, "addon")})),
    ...list(join(kernelsDir, "llama", "include")).map((from) => ({from, to: join(llamaCppDir, "include")})),
    ...list(join(kernelsDir, "llama", "src")).map((from) => ({from, to: join(llamaCppDir, "src")})),
  ].map(({from, to}) => ({from, to: join(to, from.split("/").pop())}));
}

function log(msg) {
  console.log(`[build:kernels] ${msg}`);
}

function run(cmd, cmdArgs, options = {}) {
  log(`$ ${cmd} ${cmdArgs.join(" ")}`);
  const r = spawnSync(cmd, cmdArgs, {stdio: "inherit", cwd: repoRoot, ...options});
  if (r.error) throw new Error(`${cmd} could not run: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${cmdArgs.join(" ")} failed with status ${r.status}`);
}

function patchApplies(patchFile, dir, reverse) {
  // --force: in batch mode GNU patch would otherwise "ignore -R" on an unapplied patch and report success
  const r = spawnSync("patch", ["-p1", "-d", dir, "--dry-run", "--force", "-s", ...(reverse ? ["-R"] : ["-N"]), "-i", patchFile], {
    encoding: "utf8",
  });
  return r.status === 0;
}

/** Applies a patch unless it is already applied; fails loudly when it neither applies nor is applied. */
function ensurePatched(patchFile, dir) {
  if (patchApplies(patchFile, dir, true)) {
    log(`already applied: ${patchFile}`);
    return;
  }
  if (!patchApplies(patchFile, dir, false)) throw new Error(`${patchFile} does not apply to ${dir} (node-llama-cpp version changed?)`);
  execFileSync("patch", ["-p1", "-d", dir, "--batch", "-i", patchFile], {stdio: "inherit"});
  log(`applied: ${patchFile}`);
}

function revertPatch(patchFile, dir) {
  if (!existsSync(dir) || !patchApplies(patchFile, dir, true)) {
    log(`not applied: ${patchFile}`);
    return;
  }
  execFileSync("patch", ["-p1", "-d", dir, "--batch", "-R", "-i", patchFile], {stdio: "inherit"});
  log(`reverted: ${patchFile}`);
}

function installSources(withLlamaCpp) {
  for (const {from, to} of ourSources()) if (withLlamaCpp || !to.startsWith(llamaCppDir)) copyFileSync(from, to);
  ensurePatched(addonPatch, llamaDir);
  if (withLlamaCpp) ensurePatched(llamaCppPatch, llamaCppDir);
}

/** Our llama.cpp sources against the tree's headers: a typo surfaces in seconds, not after minutes of building. */
function syntaxCheck() {
  const cxx = process.env.CXX ?? "c++";
  const includes = ["include", "src", "ggml/include"].map((d) => `-I${join(llamaCppDir, d)}`);
  for (const {to} of ourSources().filter(({to}) => to.startsWith(join(llamaCppDir, "src")) && to.endsWith(".cpp")))
    run(cxx, ["-std=c++17", "-fsyntax-only", "-Wall", "-Wextra", "-Werror", ...includes, to]);
  log("syntax check passed");
}

function verify(folder) {
  const release = join(folder, "Release");
  const libllama = readdirSync(release).find((f) => f.startsWith("libllama.") && f.endsWith(".so"));
  const addon = join(release, "llama-addon.node");
  if (!existsSync(addon) || !libllama) throw new Error(`hook build incomplete in ${release}`);
  if (!readFileSync(join(release, libllama)).includes("llama_dynsplit_set_params"))
    throw new Error(`${libllama} lacks llama_dynsplit_set_params: the llama.cpp hook is not in the build`);
  if (!readFileSync(addon).includes("dynsplitProbeSetOptions"))
    throw new Error("llama-addon.node lacks the hook methods: the addon patch is not in the build");
  log(`KV hook binary ready (${gpu || "cpu"}): ${addon}`);
}

/** cuBLAS next to nvcc (…/lib64, …/targets/<arch>/lib), under $CUDA_PATH, or known to the dynamic linker. */
function hasCublas() {
  const nvcc = spawnSync("sh", ["-c", "command -v nvcc || echo /usr/local/cuda/bin/nvcc"], {encoding: "utf8"}).stdout.trim();
  const roots = [resolve(dirname(nvcc), ".."), process.env.CUDA_PATH, "/usr/local/cuda"].filter(Boolean);
  const dirs = roots.flatMap((r) => [
    join(r, "lib64"),
    join(r, "lib"),
    ...(existsSync(join(r, "targets")) ? readdirSync(join(r, "targets")).map((t) => join(r, "targets", t, "lib")) : []),
  ]);
  if (dirs.some((d) => existsSync(d) && readdirSync(d).some((f) => f.startsWith("libcublas.so")))) return true;
  return /libcublas\.so/.test(spawnSync("sh", ["-c", "ldconfig -p 2>/dev/null"], {encoding: "utf8"}).stdout ?? "");
}

/** What a variant's build needs that this machine lacks (empty: it can be built). The one check of the toolkits. */
function missingToolkits(variant) {
  const has = (cmd, flag = "--version") => spawnSync(cmd, [flag], {stdio: "ignore"}).status === 0;
  const missing = [];
  if (!has("cmake")) missing.push("cmake");
  if (!has(process.env.CXX ?? "c++")) missing.push("a C++17 compiler (c++)");
  if (!has("patch")) missing.push("patch");
  if (variant === "cuda") {
    if (!has("nvcc") && !existsSync("/usr/local/cuda/bin/nvcc")) missing.push("the CUDA toolkit (nvcc)");
    else if (!hasCublas()) missing.push("cuBLAS (libcublas: ggml's CUDA backend links it; install the toolkit's math libraries)");
  }
  if (variant === "vulkan" && !has("glslc")) missing.push("the Vulkan SDK (glslc and the Vulkan headers)");
  return missing;
}

/** A clear message before minutes of cmake output when a toolkit is missing. */
function checkToolkit() {
  const missing = missingToolkits(gpu);
  if (missing.length > 0) throw new Error(`cannot build the ${gpu || "CPU"} KV hook here: missing ${missing.join(", ")}`);
}

const started = Date.now();
try {
  if (args.has("--toolkits")) {
    // for the extension's variant picker and the tests: what each variant lacks here, as JSON
    console.log(JSON.stringify({cpu: missingToolkits(false), cuda: missingToolkits("cuda"), vulkan: missingToolkits("vulkan")}));
    process.exit(0);
  }
  if (args.has("--revert")) {
    revertPatch(addonPatch, llamaDir);
    revertPatch(llamaCppPatch, llamaCppDir);
    for (const {from, to} of ourSources()) if (existsSync(to) && readFileSync(to).equals(readFileSync(from))) rmSync(to);
    process.exit(0);
  }
  checkToolkit();
  const existing = hookBuildFolder(join(llamaDir, "localBuilds"), gpu);
  if (args.has("--incremental") && existing && existsSync(join(existing, "build.ninja")) && existsSync(llamaCppDir)) {
    installSources(true);
    syntaxCheck();
    run("cmake", ["--build", existing, "--config", "Release", "--parallel", String(Math.max(1, os.cpus().length))]);
    // node-llama-cpp copies the shared libs next to the addon after a full build; do the same
    for (const f of readdirSync(join(existing, "bin")))
      if (f.endsWith(".so")) copyFileSync(join(existing, "bin", f), join(existing, "Release", f));
    verify(existing);
  } else {
    installSources(false);
    if (!existsSync(join(llamaCppDir, "CMakeLists.txt")) || !args.has("--check"))
      run(process.execPath, [nlcCli, "source", "download", "--skipBuild", "--gpu", String(gpu)], {env: buildEnv});
    installSources(true);
    syntaxCheck();
    if (!args.has("--check")) {
      log(
        `building with ${Object.entries(cmakeOptions)
          .map(([k, v]) => `${k}=${v}`)
          .join(" ")}`
      );
      run(process.execPath, [nlcCli, "source", "build", "--gpu", String(gpu), "--noUsageExample"], {env: buildEnv});
      const folder = hookBuildFolder(join(llamaDir, "localBuilds"), gpu);
      if (!folder) throw new Error(`no local build with ${JSON.stringify(cmakeOptions)} was produced`);
      verify(folder);
    }
  }
  log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
} catch (err) {
  console.error(`[build:kernels] error: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
