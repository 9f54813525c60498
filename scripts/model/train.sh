#!/usr/bin/env bash
# Reproduce the bundled models from scratch:
#   1. trained model: corpus -> tokenize (node-llama-cpp) -> train.py (wall-time capped) -> GGUF
#      -> torch/llama.cpp equivalence check -> quick retrieval eval   (models/work/dynsplit-tiny-trained.gguf)
#   2. shipped model: the constructed induction circuit (construct.py) -> GGUF -> full eval -> card
#      (models/dynsplit-tiny.gguf, models/card.json)
# MINUTES bounds the training wall time (default 40). Needs Debian's python3-torch (/usr/bin/python3).
set -euo pipefail
cd "$(dirname "$0")/../.."
MINUTES="${MINUTES:-40}"
RUN=models/work/run
node --import tsx scripts/model/buildDataset.ts
# One BLAS/torch thread is the fastest setting on the 2-core box (see docs/llama-notes.md section 7).
OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 /usr/bin/python3 scripts/model/train.py --minutes "$MINUTES" --out "$RUN" ${TRAIN_ARGS:-}
node --import tsx scripts/model/exportGguf.ts "$RUN/export" models/work/dynsplit-tiny-trained.gguf
node --import tsx scripts/model/checkEquivalence.ts models/work/dynsplit-tiny-trained.gguf "$RUN/ckpt.pt"
node --import tsx scripts/model/evalModel.ts --model models/work/dynsplit-tiny-trained.gguf --lengths 1000 --n 50 --real-n 0 --out models/work/eval-trained.json

node --import tsx scripts/model/writeVocabJson.ts models/work/vocab.json
/usr/bin/python3 scripts/model/construct.py models/work/vocab.json models/work/constructed
node --import tsx scripts/model/exportGguf.ts models/work/constructed models/dynsplit-tiny.gguf
node --import tsx scripts/model/evalModel.ts --model models/dynsplit-tiny.gguf --lengths 1000,2000,4000 --n-per-length 200,200,100 --real-n 50 --out models/work/eval.json
node --import tsx scripts/model/writeCard.ts models/work/eval.json models/work/constructed/manifest.json
