/**
 * "DynSplit: Build the KV Hook for This Machine": runs scripts/build-kernels.mjs (node-llama-cpp's own source build
 * with our hook) for a GPU backend or the CPU, with progress, cancellation and a clear message when a toolkit is
 * missing. The extension ships the CPU hook build; GPU users build theirs here once.
 */
import {spawn, spawnSync} from "node:child_process";
import {existsSync} from "node:fs";
import {join} from "node:path";
import * as vscode from "vscode";
import {buildArgs, buildableVariants, parseBuildLine, type KvHookGpu, type MissingToolkits} from "./kvHookBuildProgress";

export interface KvHookBuildResult {
  ok: boolean;
  gpu: KvHookGpu;
  message: string;
}

/** The extension host's own runtime runs the script (Electron as Node in VS Code, Node in code-server). */
const nodeEnv = {...process.env, ELECTRON_RUN_AS_NODE: "1"};

/** Asks the build script what each variant lacks here (its check is the one the build itself makes). */
function missingToolkits(script: string): MissingToolkits {
  const r = spawnSync(process.execPath, [script, "--toolkits"], {encoding: "utf8", env: nodeEnv});
  try {
    return JSON.parse(r.stdout) as MissingToolkits;
  } catch {
    const unknown = ["(the build script could not check the toolkits)"];
    return {cpu: unknown, cuda: unknown, vulkan: unknown};
  }
}

async function pickVariant(script: string): Promise<KvHookGpu | undefined> {
  const items = buildableVariants(missingToolkits(script)).map((v) => ({...v, description: v.detail}));
  const picked = await vscode.window.showQuickPick(items, {
    title: "DynSplit: build the KV hook for",
    placeHolder: "The hook computes the attention signal inside llama.cpp's graph, on the backend you pick",
  });
  return picked?.gpu;
}

/**
 * `options.gpu` skips the picker (tests, and a caller that knows). `stopEngine` runs before a CPU build: that build
 * replaces the very files the running worker has loaded.
 */
export async function buildKvHook(
  extensionPath: string,
  output: vscode.OutputChannel,
  stopEngine: () => Promise<void>,
  options: {gpu?: KvHookGpu} = {}
): Promise<KvHookBuildResult | undefined> {
  const script = join(extensionPath, "scripts", "build-kernels.mjs");
  if (!existsSync(script)) {
    const message = `this installation has no build script (${script})`;
    void vscode.window.showErrorMessage(`DynSplit: ${message}.`);
    return {ok: false, gpu: options.gpu ?? false, message};
  }
  const gpu = options.gpu !== undefined ? options.gpu : await pickVariant(script);
  if (gpu === undefined) return undefined;
  if (gpu === false) await stopEngine();
  const name = gpu || "CPU";
  output.appendLine(`$ build-kernels.mjs ${buildArgs(gpu).join(" ")}`);
  const result = await vscode.window.withProgress(
    {location: vscode.ProgressLocation.Notification, title: `DynSplit: building the ${name} KV hook`, cancellable: true},
    (progress, token) =>
      new Promise<KvHookBuildResult>((resolve) => {
        const child = spawn(process.execPath, [script, ...buildArgs(gpu)], {cwd: extensionPath, env: nodeEnv});
        let lastError = "";
        let lastPercent = 0;
        const onData = (chunk: Buffer) => {
          for (const line of chunk.toString("utf8").split(/\r?\n/)) {
            if (!line.trim()) continue;
            output.appendLine(line);
            const p = parseBuildLine(line);
            if (p.error) lastError = p.error;
            if (p.message) progress.report({message: p.message.slice(0, 120)});
            if (p.step) {
              const percent = Math.floor((100 * p.step.done) / p.step.total);
              if (percent > lastPercent) {
                progress.report({increment: percent - lastPercent, message: `compiling ${p.step.done}/${p.step.total}`});
                lastPercent = percent;
              }
            }
          }
        };
        child.stdout.on("data", onData);
        child.stderr.on("data", onData);
        token.onCancellationRequested(() => child.kill("SIGTERM"));
        child.on("error", (err) => resolve({ok: false, gpu, message: `the build could not start: ${err.message}`}));
        child.on("close", (code) => {
          if (token.isCancellationRequested) resolve({ok: false, gpu, message: "the build was cancelled"});
          else if (code === 0) resolve({ok: true, gpu, message: `the ${name} KV hook is built`});
          else resolve({ok: false, gpu, message: lastError || `the build failed (exit code ${code}); see the DynSplit Chat output`});
        });
      })
  );
  if (result.ok) {
    void vscode.window.showInformationMessage(`DynSplit: ${result.message}; restart the engine to use it.`, "Restart Engine").then((a) => {
      if (a) void vscode.commands.executeCommand("dynsplit.restartEngine");
    });
  } else {
    void vscode.window.showErrorMessage(`DynSplit: ${result.message}.`, "Show Log").then((a) => {
      if (a) output.show();
    });
  }
  return result;
}
