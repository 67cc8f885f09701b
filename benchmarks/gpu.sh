#!/usr/bin/env bash
# One prepared GPU run, at most ~4 minutes on one GPU, one JSON file:
#   - cached sampling at batch 1, 64 and 256 for 32x32x3 and 64x64x3, with the naive speed-up, and both heads at
#     16 and 256 images of 32x32x3 side by side (sampling.py), its
#     per-sub-pixel step replayed as CUDA graphs (--capture true), and at batch 1 and 64 for 32x32x3 without them
#     (sampling_eager: what the graphs gain);
#   - training images/s, FLOP/s, fraction of a matmul and MFU for the cifar10 and imagenet64 architectures, fp32 and
#     bf16-mixed, then bf16-mixed compiled (training.py);
#   - evaluation images/s (evaluation.py);
#   - ImageNet 32/64 loader images/s against training images/s at the experiments' batch sizes (data.py);
#   - the headline command, python train.py model=gated_cond data=imagenet64, for 2 minutes on synthetic files of the
#     official format at the paper's batch size: images/s, MFU, peak GPU memory (headline.py).
#
#   bash benchmarks/gpu.sh [OUT.json]     default: benchmarks/results/gpu_<device name>.json
#
# Environment: DEVICE (default cuda), PYTHON (default python), BUDGET_S (total seconds, default 380): every part gets
# the time left, parts that would start too late are recorded as skipped; TINY=1: CPU-sized settings (the test runs
# it so on CPU: one architecture, fp32, no compiling). Each part's JSON (or its error) goes into the one output file.
set -euo pipefail
cd "$(dirname "$0")/.."
DEVICE=${DEVICE:-cuda}
PYTHON=${PYTHON:-python}
BUDGET_S=${BUDGET_S:-380}
PARTS=$(mktemp -d)
trap 'rm -rf "$PARTS"' EXIT
START=$(date +%s)

if [[ "${TINY:-0}" == 1 ]]; then
  MODEL=(--layers 2 --hidden 12 --kernel 3 --threads 1)
  SAMPLING=(--shapes 3x4x4 --batch-sizes 1,2 --naive-sub-pixels 8 --scale-sizes "" --head-shape 3x3x4 --head-sizes 2)
  SAMPLING_EAGER=(--shapes 3x4x4 --batch-sizes 1,2 --naive-sub-pixels 8 --scale-sizes "" --heads "")
  TRAIN=(--batch-size 2 --steps 1 --warmup 1 --rounds 1 --matmul-size 64)
  SIZES=(cifar10:6)
  PRECISIONS=(32)
  EVAL=(--image-shape 1x4x4 --levels 4 --batch-size 2 --num-images 4)
  DATA=(--images 30 --batch-size 4 --num-workers 1 --batches 5 --steps 1)
  HEADLINE=(--seconds 5 --images 16 --batch-size 2)
  COMPILE=0
else
  MODEL=()
  SAMPLING=(--shapes 3x32x32,3x64x64 --batch-sizes 1,64,256 --naive-sub-pixels 24 --scale-sizes "")
  SAMPLING_EAGER=(--shapes 3x32x32 --batch-sizes 1,64 --naive-sub-pixels 24 --scale-sizes "" --heads "")
  TRAIN=(--batch-size 64 --steps 10 --warmup 3 --rounds 3)
  SIZES=(cifar10:32 imagenet64:64)
  PRECISIONS=(32 bf16-mixed)
  EVAL=(--batch-size 256 --num-images 4096)
  DATA=(--images 10000 --batches 100 --steps 3)
  HEADLINE=(--seconds 120 --images 6400)
  COMPILE=${COMPILE:-1}
fi

# part NAME MIN_S ARGS...: run one benchmark script with the time left; its one JSON line goes to $PARTS/NAME.json
part() {
  local name=$1 min_s=$2
  shift 2
  local left=$((BUDGET_S - ($(date +%s) - START)))
  if ((left < min_s)); then
    echo "{\"skipped\": \"time budget: ${left}s left\"}" >"$PARTS/$name.json"
    return
  fi
  echo "gpu.sh: $name (${left}s left)" >&2
  if ! timeout "$left" "$PYTHON" "$@" --device "$DEVICE" "${MODEL[@]}" >"$PARTS/$name.out" 2>"$PARTS/$name.err"; then
    "$PYTHON" -c 'import json, sys; print(json.dumps({"error": open(sys.argv[1]).read()[-2000:]}))' \
      "$PARTS/$name.err" >"$PARTS/$name.json"
    return
  fi
  tail -n 1 "$PARTS/$name.out" >"$PARTS/$name.json"
}

part sampling 10 benchmarks/sampling.py "${SAMPLING[@]}" --capture true
part sampling_eager 10 benchmarks/sampling.py "${SAMPLING_EAGER[@]}" --capture false
for entry in "${SIZES[@]}"; do
  experiment=${entry%%:*} size=${entry##*:}
  for precision in "${PRECISIONS[@]}"; do
    part "training_${experiment}_${precision}" 10 benchmarks/training.py "${TRAIN[@]}" \
      --experiment "conf/experiment/$experiment.yaml" --image-size "$size" --precision "$precision"
  done
done
part headline 30 benchmarks/headline.py "${HEADLINE[@]}"
part evaluation 5 benchmarks/evaluation.py "${EVAL[@]}"
part data 20 benchmarks/data.py "${DATA[@]}"
if [[ "$COMPILE" == 1 ]]; then
  for entry in "${SIZES[@]}"; do
    experiment=${entry%%:*} size=${entry##*:}
    part "training_${experiment}_bf16-mixed_compiled" 40 benchmarks/training.py "${TRAIN[@]}" \
      --experiment "conf/experiment/$experiment.yaml" --image-size "$size" --precision bf16-mixed --compile
  done
fi

"$PYTHON" - "$PARTS" "${1:-}" "$DEVICE" "$(($(date +%s) - START))" <<'PY'
import json, pathlib, sys

parts, out, device, seconds = pathlib.Path(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
results = {p.stem: json.loads(p.read_text()) for p in sorted(parts.glob("*.json"))}
name = next((r["device_name"] for r in results.values() if "device_name" in r), device)
result = {"benchmark": "gpu", "device": device, "device_name": name, "wall_s": seconds, "parts": results}
path = pathlib.Path(out or f"benchmarks/results/gpu_{name.replace(' ', '_')}.json")
path.parent.mkdir(parents=True, exist_ok=True)
path.write_text(json.dumps(result, indent=1) + "\n")
print(path)
PY
