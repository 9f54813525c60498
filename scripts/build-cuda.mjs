#!/usr/bin/env node
// Compile-only check of the CUDA probe reductions (kernels/cuda/*.cu): `nvcc -c` to an object file and
// `nvcc --ptx`, for the architectures below. Nothing is run: there is no GPU on the build machine.
import {spawnSync} from "node:child_process";
import {mkdtempSync, readdirSync, rmSync, statSync} from "node:fs";
import {tmpdir} from "node:os";
import {dirname, join, resolve} from "node:path";
import {fileURLToPath} from "node:url";

const cudaDir = resolve(dirname(fileURLToPath(import.meta.url)), "..", "kernels", "cuda");
const nvcc = process.env.NVCC ?? "nvcc";
const archs = (process.env.DYNSPLIT_CUDA_ARCHS ?? "sm_80,sm_90").split(",");
const out = mkdtempSync(join(tmpdir(), "dynsplit-cuda-"));

function run(argv) {
  console.log(`[build:cuda] $ ${nvcc} ${argv.join(" ")}`);
  const r = spawnSync(nvcc, argv, {stdio: "inherit"});
  if (r.error) throw new Error(`cannot run ${nvcc} (${r.error.message}); install the CUDA toolkit or set NVCC`);
  if (r.status !== 0) throw new Error(`nvcc failed with status ${r.status}`);
}

try {
  const sources = readdirSync(cudaDir).filter((f) => f.endsWith(".cu"));
  if (sources.length === 0) throw new Error(`no .cu sources in ${cudaDir}`);
  for (const source of sources) {
    for (const arch of archs) {
      const base = join(out, `${source}.${arch}`);
      run(["-c", "-O3", "-std=c++17", `-arch=${arch}`, join(cudaDir, source), "-o", `${base}.o`]);
      run(["--ptx", "-O3", "-std=c++17", `-arch=${arch}`, join(cudaDir, source), "-o", `${base}.ptx`]);
      console.log(`[build:cuda] ${source} ${arch}: object ${statSync(`${base}.o`).size} B, ptx ${statSync(`${base}.ptx`).size} B`);
    }
  }
  console.log("[build:cuda] compiled only — not run (no GPU here)");
} finally {
  rmSync(out, {recursive: true, force: true});
}
