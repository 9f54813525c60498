#!/usr/bin/env bash
# The bundled model's training leg on a GPU machine (issue 14: "where a GPU is at hand, one prepared script trains on
# it within 10 minutes"), in three steps:
#   bash scripts/model/train-gpu.sh prepare        # here: rows (gzipped) + the shipped weights as the start, in .gpu/
#   bash scripts/model/train-gpu.sh device         # there, with .gpu carried and $OUT set: train, pack the export
#   bash scripts/model/train-gpu.sh finish DIR     # here: unpack the export -> GGUF, equivalence, eval, card
# With the device tool: run(command="bash scripts/model/train-gpu.sh device", carry=[".gpu"], timeout_s=600).
# GPU_MINUTES (default 8) bounds the training; GPU_SCALE (default 6) sizes the rows (what travels stays under 64 MiB);
# GPU_BATCH_SCALE (default 16) multiplies the curriculum's rows per step; PHASE_FROM (default 0.3) is where the
# curriculum starts (rows of 1,024 tokens and longer); GPU_HEAD_DIM (default 64) widens the shipped 32-wide heads with
# their function unchanged (train.py --head-dim; models/README.md: the leg that found wide heads help far facts). A dry run here: GPU_DEVICE=cpu GPU_MINUTES=0.2 OUT=/tmp/o ... device.
set -euo pipefail
cd "$(dirname "$0")/../.."
G=.gpu
case "${1:-}" in
  prepare)
    rm -rf "$G" && mkdir -p "$G"
    grep -qx "/$G/" .git/info/exclude 2>/dev/null || echo "/$G/" >>.git/info/exclude
    # Rows of their own seed: the shipped weights have seen the default seed's rows (and leg 6's).
    node --import tsx scripts/model/buildDataset.ts --scale "${GPU_SCALE:-6}" --lengths 1024,2048,4096,8192 \
      --seed "${GPU_SEED:-gpu}" --out "$G/data"
    rm "$G/data/vocab.gguf"
    gzip -1 "$G"/data/*.tokens "$G"/data/*.mask
    node --import tsx scripts/model/ggufToExport.ts models/dynsplit-tiny.gguf "$G/init"
    node -p 'require("./models/card.json").training?.steps ?? 0' >"$G/init-step" # the steps behind the shipped file
    gzip -1 "$G"/init/*.f32
    du -sh "$G"
    ;;
  device)
    : "${OUT:?set by the device machine}"
    for f in "$G"/init/*.f32.gz; do gunzip -kf "$f"; done
    nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true
    PYTHONUNBUFFERED=1 python3 scripts/model/train.py --device "${GPU_DEVICE:-cuda}" --data "$G/data" --out /tmp/gpu-run \
      --minutes "${GPU_MINUTES:-8}" --batch-scale "${GPU_BATCH_SCALE:-16}" --init-export "$G/init" \
      --head-dim "${GPU_HEAD_DIM:-64}" --init-step "$(cat "$G/init-step")" --phase-from "${PHASE_FROM:-0.3}" --warmup-steps 100 \
      --eval-minutes 2 --checkpoint-minutes 2 2>&1 | tee "$OUT/train-log.txt"
    # In pieces under the 16 MiB a file that comes back may have (float32 weights hardly compress).
    tar czf - -C /tmp/gpu-run export | split -b 15M - "$OUT/export.tgz."
    ;;
  finish)
    RUN=models/work/gpu-run
    rm -rf "$RUN" && mkdir -p "$RUN"
    cat "${2:?the folder the export.tgz.* pieces came back in}"/export.tgz.* | tar xzf - -C "$RUN"
    bash scripts/model/finishModel.sh "$RUN"
    ;;
  *)
    sed -n 2,11p "$0"
    exit 2
    ;;
esac
