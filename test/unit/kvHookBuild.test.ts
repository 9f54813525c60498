import assert from "node:assert/strict";
import {execFileSync} from "node:child_process";
import {readFileSync} from "node:fs";
import {fileURLToPath} from "node:url";
import {test} from "node:test";
import {buildArgs, buildableVariants, parseBuildLine} from "../../src/extension/kvHookBuildProgress";
import {hookCmakeOptions} from "../../src/engine/signals/loadLlama";

test("build lines: ninja steps, our messages and our error line are told apart", () => {
  assert.deepEqual(parseBuildLine("[12/155] Building CXX object llama.cpp/src/llama-dynsplit.cpp.o"), {step: {done: 12, total: 155}});
  assert.deepEqual(parseBuildLine("[build:kernels] syntax check passed"), {message: "syntax check passed"});
  assert.deepEqual(parseBuildLine("[build:kernels] error: cannot build the cuda KV hook here: missing the CUDA toolkit (nvcc)"), {
    error: "cannot build the cuda KV hook here: missing the CUDA toolkit (nvcc)",
  });
  assert.deepEqual(parseBuildLine("-- Configuring done"), {});
});

test("build variants: the script's arguments, and the picker says what the script's own check found missing", () => {
  assert.deepEqual(buildArgs(false), []);
  assert.deepEqual(buildArgs("cuda"), ["--gpu", "cuda"]);
  const variants = buildableVariants({cpu: [], cuda: ["the CUDA toolkit (nvcc)"], vulkan: []});
  assert.deepEqual(
    variants.map((v) => v.gpu),
    ["cuda", "vulkan", false]
  );
  assert.equal(variants[0].detail, "needs the CUDA toolkit (nvcc)");
  assert.equal(variants[1].detail, "can be built here");
  // the script answers --toolkits with what each variant lacks, in the shape the picker reads
  const out = execFileSync(process.execPath, [fileURLToPath(new URL("../../scripts/build-kernels.mjs", import.meta.url)), "--toolkits"], {
    encoding: "utf8",
  });
  const missing = JSON.parse(out) as Record<string, unknown>;
  for (const k of ["cpu", "cuda", "vulkan"]) assert.ok(Array.isArray(missing[k]), `${k}: ${JSON.stringify(missing[k])}`);
});

test("hook cmake options: the same for the build script and the loader; x64 CPU builds are portable like the prebuilt", () => {
  const variants = JSON.parse(readFileSync(new URL("../../kernels/variants.json", import.meta.url), "utf8")) as {
    hook: Record<string, string>;
    x64Cpu: Record<string, string>;
  };
  assert.deepEqual(hookCmakeOptions(false, "x64"), {...variants.hook, ...variants.x64Cpu});
  assert.equal(hookCmakeOptions(false, "x64").GGML_NATIVE, "OFF");
  assert.equal(hookCmakeOptions(false, "x64").GGML_CPU_ALL_VARIANTS, "ON");
  assert.deepEqual(hookCmakeOptions("cuda", "x64"), variants.hook);
  assert.deepEqual(hookCmakeOptions(false, "arm64"), variants.hook);
  // the script reads the same file (no second copy of the options to drift)
  assert.match(readFileSync(new URL("../../scripts/hookBuilds.mjs", import.meta.url), "utf8"), /variants\.json/);
});
