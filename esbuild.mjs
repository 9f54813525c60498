// Bundles the three Node entry points and the webview scripts. `vscode` and `node-llama-cpp` stay external:
// VS Code provides the first, and node-llama-cpp must keep its own file layout and native binaries.
import {build, context} from "esbuild";
import {existsSync} from "node:fs";

const watch = process.argv.includes("--watch");
const production = process.argv.includes("--production");
const common = {
  bundle: true,
  platform: "node",
  target: "node20",
  sourcemap: !production,
  minify: production,
  logLevel: "info",
  external: ["vscode", "node-llama-cpp"],
};
// ESM bundles still meet CommonJS dependencies that call require(); give them one.
const esmBanner = {js: "import {createRequire as __cr} from 'node:module'; const require = __cr(import.meta.url);"};

const entries = [
  {...common, entryPoints: ["src/extension/extension.ts"], outfile: "dist/extension.cjs", format: "cjs"},
  {...common, entryPoints: ["src/engine/worker/workerMain.ts"], outfile: "dist/worker.mjs", format: "esm", banner: esmBanner},
  {...common, entryPoints: ["src/cli/main.ts"], outfile: "dist/cli.mjs", format: "esm", banner: esmBanner},
  ...["chat", "visualizer"].map((name) => ({
    bundle: true,
    platform: "browser",
    target: "es2022",
    format: "iife",
    sourcemap: !production,
    minify: production,
    logLevel: "info",
    entryPoints: [`media/src/${name}.ts`],
    outfile: `dist/media/${name}.js`,
  })),
].filter((e) => existsSync(e.entryPoints[0]));

if (watch) for (const e of entries) await (await context(e)).watch();
else await Promise.all(entries.map((e) => build(e)));
