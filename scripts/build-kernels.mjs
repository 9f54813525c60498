#!/usr/bin/env node
// Builds the DynSplit attention-probe binary of node-llama-cpp (kernels/README.md), offline:
//   1. patch node-llama-cpp's addon sources with kernels/node-llama-cpp-addon.patch (idempotent),
//   2. `node-llama-cpp source download` from the bundled git bundle (llama/gitRelease.bundle, no network),
//   3. patch the fresh llama.cpp tree with kernels/llama.cpp.patch,
//   4. `node-llama-cpp source build` with the custom cmake option DYNSPLIT_PROBE=ON, which gives the build its
//      own folder in llama/localBuilds, so the stock prebuilt binary stays selectable (src/engine/signals/loadLlama.ts).
// Flags: --incremental  reuse an existing probe build folder: re-apply patches, `cmake --build`, copy the libs
//                       (seconds instead of ~8 minutes; for working on the patch)
//        --revert       remove our patches from the node-llama-cpp sources and exit
import {execFileSync, spawnSync} from "node:child_process";
import {copyFileSync, existsSync, readFileSync, readdirSync} from "node:fs";
import {dirname, join, resolve} from "node:path";
import {fileURLToPath} from "node:url";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const kernelsDir = join(repoRoot, "kernels");
const llamaDir = (() => {
  // package.json is not in node-llama-cpp's exports: walk up from its entry point
  let dir = dirname(fileURLToPath(import.meta.resolve("node-llama-cpp")));
  while (!existsSync(join(dir, "llama", "gitRelease.bundle")) && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, "llama");
})();
const addonPatch = join(kernelsDir, "node-llama-cpp-addon.patch");
const llamaCppPatch = join(kernelsDir, "llama.cpp.patch");
const probeEnv = {...process.env, NODE_LLAMA_CPP_CMAKE_OPTION_DYNSPLIT_PROBE: "ON"};
const args = new Set(process.argv.slice(2));

function log(msg) {
  console.log(`[build:kernels] ${msg}`);
}

function run(cmd, argv, options = {}) {
  log(`$ ${cmd} ${argv.join(" ")}`);
  const r = spawnSync(cmd, argv, {stdio: "inherit", cwd: repoRoot, ...options});
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(" ")} failed with status ${r.status}`);
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
    log(`already applied: ${patchFile} in ${dir}`);
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

function probeBuildFolder() {
  const root = join(llamaDir, "localBuilds");
  if (!existsSync(root)) return null;
  for (const name of readdirSync(root)) {
    const meta = join(root, name, "Release", "_nlcBuildMetadata.json");
    if (!existsSync(meta)) continue;
    const options = JSON.parse(readFileSync(meta, "utf8")).buildOptions?.customCmakeOptions ?? {};
    if (options.DYNSPLIT_PROBE === "ON") return join(root, name);
  }
  return null;
}

function verify(folder) {
  const release = join(folder, "Release");
  const libllama = readdirSync(release).find((f) => f.startsWith("libllama.") && f.endsWith(".so"));
  const addon = join(release, "llama-addon.node");
  if (!existsSync(addon) || !libllama) throw new Error(`probe build incomplete in ${release}`);
  if (!readFileSync(join(release, libllama)).includes("llama_dynsplit_kv_cell_positions"))
    throw new Error(`${libllama} lacks llama_dynsplit_kv_cell_positions: the llama.cpp patch is not in the build`);
  if (!readFileSync(addon).includes("dynsplitProbeSetOptions"))
    throw new Error("llama-addon.node lacks the probe methods: the addon patch is not in the build");
  log(`probe binary ready: ${addon}`);
}

const started = Date.now();
if (args.has("--revert")) {
  revertPatch(addonPatch, llamaDir);
  revertPatch(llamaCppPatch, join(llamaDir, "llama.cpp"));
  process.exit(0);
}

ensurePatched(addonPatch, llamaDir);
const existing = probeBuildFolder();
if (args.has("--incremental") && existing && existsSync(join(existing, "build.ninja"))) {
  ensurePatched(llamaCppPatch, join(llamaDir, "llama.cpp"));
  run("cmake", ["--build", existing, "--config", "Release", "--parallel", "2"]);
  // node-llama-cpp copies the shared libs next to the addon after a full build; do the same
  for (const f of readdirSync(join(existing, "bin")))
    if (f.endsWith(".so")) copyFileSync(join(existing, "bin", f), join(existing, "Release", f));
  verify(existing);
} else {
  run("npx", ["--no", "node-llama-cpp", "source", "download", "--skipBuild", "--gpu", "false"], {env: probeEnv});
  ensurePatched(llamaCppPatch, join(llamaDir, "llama.cpp"));
  run("npx", ["--no", "node-llama-cpp", "source", "build", "--gpu", "false", "--noUsageExample"], {env: probeEnv});
  const folder = probeBuildFolder();
  if (!folder) throw new Error("no local build with DYNSPLIT_PROBE=ON was produced");
  verify(folder);
}
log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
