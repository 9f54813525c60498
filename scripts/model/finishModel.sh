#!/usr/bin/env bash
# A trained run's export -> GGUF -> torch/llama.cpp equivalence check -> retrieval eval through node-llama-cpp
# (synthetic + Python stdlib) -> models/dynsplit-tiny.gguf + models/card.json. Usage: finishModel.sh RUN_DIR
# (RUN_DIR/export holds train.py's export: from train.sh here, or unpacked from a GPU run by train-gpu.sh finish).
set -euo pipefail
cd "$(dirname "$0")/../.."
RUN="$1"
node --import tsx scripts/model/exportGguf.ts "$RUN/export" models/work/dynsplit-tiny-trained.gguf
node --import tsx scripts/model/checkEquivalence.ts models/work/dynsplit-tiny-trained.gguf "$RUN/export"
cp models/work/dynsplit-tiny-trained.gguf models/dynsplit-tiny.gguf
# The two suites in parallel, one core each.
node --import tsx scripts/model/evalModel.ts --model models/dynsplit-tiny.gguf --n 120 --file-n 60 --lengths 1000,2000,4000,8000 \
  --suites synthetic --out models/work/eval-synthetic.json &
node --import tsx scripts/model/evalModel.ts --model models/dynsplit-tiny.gguf --n 120 --file-n 60 --lengths 1000,2000,4000,8000 \
  --suites real-code --out models/work/eval-real-code.json
wait
node -e '
const fs = require("node:fs");
const [a, b] = ["synthetic", "real-code"].map((s) => JSON.parse(fs.readFileSync(`models/work/eval-${s}.json`, "utf8")));
fs.writeFileSync("models/work/eval-trained.json", JSON.stringify({...a, cells: [...a.cells, ...b.cells]}, null, 2));
'
node --import tsx scripts/model/writeCard.ts models/work/eval-trained.json "$RUN/export/manifest.json"
