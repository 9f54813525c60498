import * as vscode from "vscode";
import {ANSWER_FROM, ANSWER_FROM_DESCRIPTIONS} from "../core/answerModes";
import {MEMORY_METHODS, METHOD_DESCRIPTIONS, METHOD_NAMES, type MethodName} from "../core/types";

/** "Select Model": the bundled model, a GGUF file, or an hf: URI; the choice goes into the `dynsplit.model` setting. */
export async function pickModel(): Promise<string | undefined> {
  const choice = await vscode.window.showQuickPick(
    [
      {label: "$(package) Bundled model", description: "the small model that ships with the extension", value: "bundled"},
      {label: "$(file) GGUF file…", description: "a local .gguf model", value: "file"},
      {label: "$(cloud-download) Hugging Face URI…", description: "hf:user/repo:quant, downloaded by node-llama-cpp", value: "hf"},
    ],
    {title: "DynSplit: Select Model"}
  );
  if (!choice) return undefined;
  let model: string | undefined;
  if (choice.value === "bundled") model = "bundled";
  else if (choice.value === "file") {
    const files = await vscode.window.showOpenDialog({
      canSelectMany: false,
      filters: {"GGUF models": ["gguf"]},
      title: "Select a GGUF model",
    });
    model = files?.[0]?.fsPath;
  } else {
    model = await vscode.window.showInputBox({
      title: "Hugging Face model URI",
      placeHolder: "hf:Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF:Q4_K_M",
      validateInput: (v) => (/^hf:[\w.-]+\/[\w.-]+(:[\w.-]+)?(\/.+)?$/.test(v.trim()) ? undefined : "expected hf:owner/repo[:quant]"),
    });
  }
  if (!model) return undefined;
  await vscode.workspace.getConfiguration("dynsplit").update("model", model.trim(), vscode.ConfigurationTarget.Global);
  return model.trim();
}

/** "Select Compression Method and Budget": writes `dynsplit.answerFrom`, `dynsplit.method` and `dynsplit.budgetTokens`. */
export async function pickMethodAndBudget(): Promise<boolean> {
  const config = vscode.workspace.getConfiguration("dynsplit");
  const mode = await vscode.window.showQuickPick(
    ANSWER_FROM.map((m) => ({label: m, description: ANSWER_FROM_DESCRIPTIONS[m], picked: m === config.get("answerFrom", "memory")})),
    {title: "DynSplit: how questions are answered"}
  );
  if (!mode) return false;
  // The repository memory selects whole blocks: DynSplit's semantic blocks or ChunkKV-size chunks.
  const methods: readonly MethodName[] = mode.label === "memory" ? MEMORY_METHODS : METHOD_NAMES;
  const method = await vscode.window.showQuickPick(
    methods.map((m) => ({label: m, description: METHOD_DESCRIPTIONS[m], picked: m === config.get("method")})),
    {title: mode.label === "memory" ? "DynSplit: blocks of the repository memory" : "DynSplit: compression method"}
  );
  if (!method) return false;
  const budget = await vscode.window.showInputBox({
    title: "KV budget in tokens",
    value: String(config.get("budgetTokens", 4096)),
    validateInput: (v) =>
      /^\d+$/.test(v.trim()) && Number(v) >= 64 && Number(v) <= 1 << 20 ? undefined : "an integer between 64 and 1048576",
  });
  if (!budget) return false;
  await config.update("answerFrom", mode.label, vscode.ConfigurationTarget.Global);
  await config.update("method", method.label, vscode.ConfigurationTarget.Global);
  await config.update("budgetTokens", Number(budget.trim()), vscode.ConfigurationTarget.Global);
  return true;
}
