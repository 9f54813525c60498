import {DynSplitInputError} from "../core/errors";
import {ANSWER_FROM, ANSWER_FROM_DESCRIPTIONS, PLACEMENT_DESCRIPTIONS, PLACEMENTS} from "../core/answerModes";
import {SEGMENTATION_DESCRIPTIONS, SEGMENTATION_NAMES} from "../core/blockSegmenter";
import {SIGNAL_SETTINGS} from "../core/signalNames";
import {METHOD_NAMES} from "../core/types";
import {ModelError} from "../engine/model/modelSource";
import {askCommand, ASK_HELP} from "./commands/ask";
import {benchCommand, BENCH_HELP} from "./commands/bench";
import {evalCommand, EVAL_HELP} from "./commands/eval";
import {chatCommand, CHAT_HELP} from "./commands/chat";
import {ingestCommand, INGEST_HELP} from "./commands/ingest";
import {UsageError} from "./options";

/** One indented line per choice, with its description (the names and descriptions come from src/core). */
function choices<T extends string>(names: readonly T[], descriptions: Record<T, string>): string {
  return names.map((n) => `${" ".repeat(27)}${n.padEnd(10)} ${descriptions[n]}`).join("\n");
}

const HELP = `dynsplit — long-context answers over a whole folder on a local GGUF model, with DynSplit-KV cache compression

commands
${ASK_HELP}

${INGEST_HELP}

${CHAT_HELP}

${EVAL_HELP}

${BENCH_HELP}

options (ask, chat, ingest, eval)
  --model PATH|hf:URI      a GGUF file or a Hugging Face URI (default: the bundled model)
  --answer-from MODE       how questions are answered (default memory):
${choices(ANSWER_FROM, ANSWER_FROM_DESCRIPTIONS)}
  --placement P            memory: how selected blocks enter the context (default restore where the model allows it):
${choices(PLACEMENTS, PLACEMENT_DESCRIPTIONS)}
  --segmentation S         memory: how the store cuts files into blocks (default dynsplit):
${choices(SEGMENTATION_NAMES, SEGMENTATION_DESCRIPTIONS)}
  --method NAME            ${METHOD_NAMES.join(", ")} (default dynsplit)
  --budget F               context for a question as a share of the workspace (default 0.25, capped at what the
                           model handles, at least 512 tokens)
  --budget-tokens N        N tokens of context instead (the KV context is allocated at this size)
  --signal S               ${SIGNAL_SETTINGS.join(", ")} (default auto: the attention probe if built, else keyNorm,
                           or surprisal where key norms say nothing)
  --query-agnostic         do not use the question as the observation window
  --block-size C           DynSplit base block size (default 16)
  --tolerance D            DynSplit tolerance Δ (default 8)
  --no-cache               ignore and do not write the persistent cache (memory: a throwaway block store)
  --threads N              CPU threads (default: cores − 1)
  --probe auto|on|off      use the attention-probe binary (npm run build:kernels)
  --gpu-layers auto|off|N  GPU offload with the stock binary (default auto: CUDA/Vulkan/Metal when present)
  --kv-cache T             element type of the cached keys: f16 (default), q8_0 or q4_0 (smaller; moved keys are
                           re-quantized, and the store re-prefills its blocks)
  --answer-tokens N        longest answer in tokens (default 1024; it sizes the room kept free in the context)
  --show-prompt            ask: print the rendered turn (chat template, special tokens visible); --json adds "prompt"
  --json                   machine-readable output (ask adds model, architecture, format, capability, ddSelect)
  -h, --help               this help`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "ask":
        await askCommand(rest);
        return 0;
      case "ingest":
        await ingestCommand(rest);
        return 0;
      case "chat":
        await chatCommand(rest);
        return 0;
      case "eval":
        await evalCommand(rest);
        return 0;
      case "bench":
        await benchCommand(rest);
        return 0;
      case undefined:
      case "help":
      case "-h":
      case "--help":
        console.log(HELP);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`dynsplit: ${err.message}\nRun "dynsplit --help" for usage.`);
      return 2;
    }
    if (err instanceof DynSplitInputError || err instanceof ModelError) {
      console.error(`dynsplit: ${err.message}`);
      return 1;
    }
    console.error(`dynsplit: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return 1;
  }
}

// Run when executed directly (the bin wrapper, or tsx during development).
if (process.argv[1] && /(cli\.mjs|main\.ts)$/.test(process.argv[1])) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
