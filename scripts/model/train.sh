#!/usr/bin/env bash
# Reproduce the bundled model from scratch:
#   code corpus -> training rows tokenized by node-llama-cpp (buildDataset.ts) -> train.py (wall-time capped) -> GGUF
#   -> torch/llama.cpp equivalence check -> retrieval eval through node-llama-cpp (synthetic + Python stdlib)
#   -> models/dynsplit-tiny.gguf + models/card.json
# MINUTES bounds the main run (default 115, the shipped run's budget). RESUME=path/to/ckpt.pt continues a run from its
# checkpoint (with PHASE_FROM, the curriculum fraction to continue at), so training can proceed over several sessions.
# Needs Debian's python3-torch and an optimized BLAS (apt-get install python3-torch libopenblas0-pthread).
set -euo pipefail
cd "$(dirname "$0")/../.."
MINUTES="${MINUTES:-115}"
RUN="${RUN:-models/work/run}"
# DATA_SEED: fresh rows for a leg that continues from trained weights (they have seen the default seed's rows).
node --import tsx scripts/model/buildDataset.ts --scale "${DATA_SCALE:-2}" ${DATA_SEED:+--seed "$DATA_SEED"}
# One BLAS/torch thread: a second one gains nothing on the 2-core box (measured 1,646 vs 1,674 tokens/s).
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
RESUME_ARGS=()
if [ -n "${RESUME:-}" ]; then RESUME_ARGS=(--resume "$RESUME" --phase-from "${PHASE_FROM:-0}"); fi
/usr/bin/python3 scripts/model/train.py --minutes "$MINUTES" --out "$RUN" "${RESUME_ARGS[@]}" ${TRAIN_ARGS:-}
bash scripts/model/finishModel.sh "$RUN"
