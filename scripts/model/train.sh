#!/usr/bin/env bash
# Reproduce the bundled model from scratch:
#   code corpus -> tokenized filler (node-llama-cpp) -> train.py (wall-time capped) -> GGUF
#   -> torch/llama.cpp equivalence check -> retrieval eval through node-llama-cpp
#   -> models/dynsplit-tiny.gguf + models/card.json
# MINUTES bounds the main run (default 66); EXTRA_MINUTES (default 0; 12 min measured no better) continues its last phase
# (4,096-token rows, low LR) from the checkpoint. Needs Debian's python3-torch (/usr/bin/python3).
set -euo pipefail
cd "$(dirname "$0")/../.."
MINUTES="${MINUTES:-66}"
EXTRA_MINUTES="${EXTRA_MINUTES:-0}"
RUN=models/work/run
node --import tsx scripts/model/buildDataset.ts
node --import tsx scripts/model/writeVocabJson.ts models/work/vocab.json
# One BLAS/torch thread is the fastest setting on the 2-core box (see docs/llama-notes.md section 7).
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
/usr/bin/python3 scripts/model/train.py --minutes "$MINUTES" --out "$RUN" ${TRAIN_ARGS:-}
if [ "$EXTRA_MINUTES" != 0 ]; then
  /usr/bin/python3 scripts/model/train.py --minutes "$EXTRA_MINUTES" --resume "$RUN/ckpt.pt" --phase-from 0.8 --out "$RUN-extra" ${TRAIN_ARGS:-}
  RUN="$RUN-extra"
fi
node --import tsx scripts/model/exportGguf.ts "$RUN/export" models/work/dynsplit-tiny-trained.gguf
node --import tsx scripts/model/checkEquivalence.ts models/work/dynsplit-tiny-trained.gguf "$RUN/ckpt.pt"
node --import tsx scripts/model/evalModel.ts --model models/work/dynsplit-tiny-trained.gguf --lengths 1000,2000,4000 --n-per-length 200,200,200 --real-n 50 --out models/work/eval-trained.json
cp models/work/dynsplit-tiny-trained.gguf models/dynsplit-tiny.gguf
node --import tsx scripts/model/writeCard.ts models/work/eval-trained.json "$RUN/export/manifest.json"
