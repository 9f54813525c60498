#!/usr/bin/env bash
# Reproduce the bundled model from scratch:
#   code corpus -> tokenized filler (node-llama-cpp) -> train.py (wall-time capped) -> GGUF
#   -> torch/llama.cpp equivalence check -> retrieval eval through node-llama-cpp -> models/card.json
# MINUTES bounds the training wall time (default 66). Needs Debian's python3-torch (/usr/bin/python3).
set -euo pipefail
cd "$(dirname "$0")/../.."
MINUTES="${MINUTES:-66}"
RUN=models/work/run
node --import tsx scripts/model/buildDataset.ts
node --import tsx scripts/model/writeVocabJson.ts models/work/vocab.json
# One BLAS/torch thread is the fastest setting on the 2-core box (see docs/llama-notes.md section 7).
OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 /usr/bin/python3 scripts/model/train.py --minutes "$MINUTES" --out "$RUN" ${TRAIN_ARGS:-}
node --import tsx scripts/model/exportGguf.ts "$RUN/export" models/work/dynsplit-tiny-trained.gguf
node --import tsx scripts/model/checkEquivalence.ts models/work/dynsplit-tiny-trained.gguf "$RUN/ckpt.pt"
node --import tsx scripts/model/evalModel.ts --model models/work/dynsplit-tiny-trained.gguf --lengths 1000,2000,4000 --n-per-length 200,200,200 --real-n 50 --out models/work/eval-trained.json
# When the trained model passes the card bar, copy it to models/dynsplit-tiny.gguf and run scripts/model/writeCard.ts.
