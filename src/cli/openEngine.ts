import {fileURLToPath} from "node:url";
import path from "node:path";
import {Engine} from "../engine/engine";
import {findPackageRoot} from "../engine/packageRoot";
import {defaultCacheDir, gpuLayersOf, intOf, kvCacheTypeOf, probeOf} from "./options";

/** Creates the engine and loads the model named on the command line (the bundled one by default). */
export async function openEngine(values: {
  model?: string;
  threads?: string;
  probe?: string;
  "gpu-layers"?: string;
  "answer-tokens"?: string;
  "kv-cache"?: string;
}) {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const engine = new Engine({
    packageRoot: findPackageRoot(here),
    cacheDir: defaultCacheDir(),
    threads: intOf("threads", values.threads),
    probe: probeOf(values.probe),
    gpuLayers: gpuLayersOf(values["gpu-layers"]),
    answerTokens: intOf("answer-tokens", values["answer-tokens"]),
    kvCacheType: kvCacheTypeOf(values["kv-cache"]),
  });
  try {
    const info = await engine.loadModel(values.model, {
      onDownloadProgress: (done, total) =>
        process.stderr.write(`\rdownloading ${(done / 2 ** 20).toFixed(0)}/${(total / 2 ** 20).toFixed(0)} MiB`),
    });
    if (info.demo && !values.model)
      process.stderr.write(
        `demo model ${info.name}: it answers planted-fact questions ("Q: name =", "Q: file of name is"); use --model <file.gguf|hf:…> for real questions\n`
      );
    if (info.capability !== "supported")
      process.stderr.write(`model ${info.name} (${info.architecture}): ${info.capability} — ${info.capabilityReason}\n`);
  } catch (err) {
    await engine.dispose();
    throw err;
  }
  return engine;
}
