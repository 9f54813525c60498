#!/usr/bin/env node
// The `dynsplit` command: runs the bundled CLI (npm run build makes dist/cli.mjs).
import {existsSync} from "node:fs";
import {fileURLToPath, pathToFileURL} from "node:url";
const cli = fileURLToPath(new URL("../dist/cli.mjs", import.meta.url));
if (!existsSync(cli)) {
  console.error("dynsplit: dist/cli.mjs is missing; run `npm run build` first");
  process.exit(1);
}
const {main} = await import(pathToFileURL(cli).href);
process.exitCode = await main(process.argv.slice(2));
