#!/usr/bin/env node
// Makes sure the CPU KV-hook build of node-llama-cpp is present, building it at most once per machine:
// a finished build is kept in a cache folder keyed by our kernel sources, patches and build options, the
// node-llama-cpp version and the platform, and copied back after `npm ci` wipes node_modules. A cache miss runs
// scripts/build-kernels.mjs (~5-10 min on 2 cores); a hit still syntax-checks our C++ against the llama.cpp tree
// (`build-kernels.mjs --check`, seconds), so that every `npm test` compiles our kernel sources.
// Cache folder: $DYNSPLIT_KERNELS_CACHE or ~/.cache/dynsplit/probe-builds.
import {spawnSync} from "node:child_process";
import {createHash} from "node:crypto";
import {cpSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync} from "node:fs";
import os from "node:os";
import {basename, dirname, join, resolve} from "node:path";
import {fileURLToPath} from "node:url";
import {hookBuildFolder} from "./hookBuilds.mjs";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");
let nlcDir = dirname(fileURLToPath(import.meta.resolve("node-llama-cpp")));
while (!existsSync(join(nlcDir, "llama", "gitRelease.bundle")) && dirname(nlcDir) !== nlcDir) nlcDir = dirname(nlcDir);
const localBuilds = join(nlcDir, "llama", "localBuilds");
const version = JSON.parse(readFileSync(join(nlcDir, "package.json"), "utf8")).version;
const hash = createHash("sha256");
const kernelFiles = (dir) =>
  readdirSync(dir, {withFileTypes: true}).flatMap((e) => (e.isDirectory() ? kernelFiles(join(dir, e.name)) : [join(dir, e.name)]));
for (const f of kernelFiles(join(repoRoot, "kernels")).sort()) if (!f.endsWith(".md")) hash.update(f).update(readFileSync(f));
for (const f of ["build-kernels.mjs", "hookBuilds.mjs"]) hash.update(readFileSync(join(repoRoot, "scripts", f)));
hash.update(`${version} ${process.platform} ${process.arch}`);
const key = hash.digest("hex").slice(0, 16);
const cacheRoot = process.env.DYNSPLIT_KERNELS_CACHE ?? join(os.homedir(), ".cache", "dynsplit", "probe-builds");
const cached = join(cacheRoot, key);
const log = (m) => console.log(`[ensure-kernels] ${m}`);

/** The CPU hook build with the current options (an older variant's folder does not count). */
function probeFolder() {
  const folder = hookBuildFolder(localBuilds, false);
  return folder ? basename(folder) : null;
}

/** A build from the cache was compiled from these very sources; the syntax check still runs them through the compiler. */
function check() {
  const r = spawnSync(process.execPath, [join(repoRoot, "scripts", "build-kernels.mjs"), "--check"], {stdio: "inherit", cwd: repoRoot});
  if (r.status !== 0) process.exit(r.status ?? 1);
}

const present = probeFolder();
if (present) {
  log(`hook build present: ${present}`);
  check();
} else if (existsSync(join(cached, "DONE"))) {
  const name = readFileSync(join(cached, "DONE"), "utf8").trim();
  mkdirSync(localBuilds, {recursive: true});
  cpSync(join(cached, name), join(localBuilds, name), {recursive: true});
  log(`restored ${name} from ${cached}`);
  check();
} else {
  log("no cached hook build: building it (5-10 minutes on 2 cores)");
  const r = spawnSync(process.execPath, [join(repoRoot, "scripts", "build-kernels.mjs")], {stdio: "inherit", cwd: repoRoot});
  if (r.status !== 0) process.exit(r.status ?? 1);
}
const name = probeFolder();
if (!name) {
  console.error("[ensure-kernels] the hook build is missing after building");
  process.exit(1);
}
if (!existsSync(join(cached, "DONE"))) {
  // Keep what loading needs (Release/ holds the addon and shared libraries, plus the top-level status files), atomically.
  const tmp = `${cached}.tmp-${process.pid}`;
  rmSync(tmp, {recursive: true, force: true});
  mkdirSync(join(tmp, name), {recursive: true});
  cpSync(join(localBuilds, name, "Release"), join(tmp, name, "Release"), {recursive: true});
  for (const f of readdirSync(join(localBuilds, name)))
    if (statSync(join(localBuilds, name, f)).isFile()) cpSync(join(localBuilds, name, f), join(tmp, name, f));
  writeFileSync(join(tmp, "DONE"), name);
  mkdirSync(cacheRoot, {recursive: true});
  rmSync(cached, {recursive: true, force: true});
  renameSync(tmp, cached);
  log(`cached ${name} in ${cached}`);
}
