#!/usr/bin/env bash
# Runs the accuracy experiment on a GPU node that has a CUDA PyTorch (its LibTorch builds
# dacw-train) but no Qt, ITK or OpenCV. Input: a .npz from pack.py with datasets L, V, R1, R2
# (fundus) and PL, PV, ETIS, CDB (polyp). Every run trains concurrently on the one GPU; each run's
# test predictions (class probabilities, 8-bit) and logs are gathered into RESULTS/results.tar.gz as they end.
# Usage: run-experiment.sh DATA.npz RESULTS [ITERATIONS]
set -uo pipefail
data=$1 results=$2 iters=${3:-2000}
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
work=/tmp/dacw-gpu
mkdir -p "$work/res" "$results"
prefix=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')
t0=$(date +%s)
cmake -S "$root" -B "$work/build" -G Ninja -DDACW_TRAIN_ONLY=ON -DDACW_BUILD_TESTS=OFF -DDACW_BUILD_BENCH=OFF \
  -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release > "$work/res/cmake.log" 2>&1 || { tail -30 "$work/res/cmake.log"; exit 1; }
cmake --build "$work/build" -j"$(nproc)" --target dacw-train > "$work/res/build.log" 2>&1 || { grep -m5 -A5 error "$work/res/build.log"; exit 1; }
echo "built dacw-train in $(( $(date +%s) - t0 )) s"
python3 "$root/scripts/gpu/unpack.py" "$data" "$work/data" || exit 1
T="$work/build/core/train/dacw-train"

run() {  # name method labeled validation unlabeled test
  local name=$1 method=$2 L=$3 V=$4 U=$5 test=$6 out="$work/res/$1"
  mkdir -p "$out"
  "$T" --labeled "$work/data/$L.pt" --unlabeled "$work/data/$U.pt" --validation "$work/data/$V.pt" --out "$out" \
    --method "$method" --iterations "$iters" --size 128 --backbone resnet18 --width 1 --seed 1 --threads 1 \
    --device cuda --validation-interval 250 > "$out/train.log" 2>&1 &&
  "$T" --predict "$out/model.pt" --input "$work/data/$test.pt" --out "$out/probs.pt" --device cuda >> "$out/train.log" 2>&1 &&
  python3 - "$out" "$work/data/$test.pt" <<'PY'
import sys, numpy as np, torch
out, test = sys.argv[1], sys.argv[2]
probs = list(torch.jit.load(out + "/probs.pt").parameters())[0]
m = torch.jit.load(test)
fields = dict(m.named_parameters()); fields.update(dict(m.named_buffers()))
ids = fields["case_ids"].numpy()
# Class probabilities at the training size, quantised to 8 bits: import.py resamples them to each
# image's grid before the arg-max, as `dacw train` does, so both routes score alike.
q = (probs.float().clamp(0, 1) * 255).round().to(torch.uint8).cpu().numpy()
np.savez_compressed(out + "/pred.npz", probs=q, case_ids=ids)
PY
  rm -f "$out/probs.pt" "$out/model.pt" "$out/checkpoint.pt"
  echo "$name done after $(( $(date +%s) - t0 )) s"
}

for m in supervised cps dac; do
  run "fundus-r1u-r2t-$m" $m L V R1 R2 &
  run "fundus-r2u-r1t-$m" $m L V R2 R1 &
  run "polyp-etisu-cdbt-$m" $m PL PV ETIS CDB &
  run "polyp-cdbu-etist-$m" $m PL PV CDB ETIS &
done
# Gather what has finished every 20 s, so a time-out still returns the finished runs.
while [ -n "$(jobs -rp)" ]; do
  sleep 20
  tar -czf "$results/.results.tmp" -C "$work/res" . && mv "$results/.results.tmp" "$results/results.tar.gz"
done
tar -czf "$results/.results.tmp" -C "$work/res" . && mv "$results/.results.tmp" "$results/results.tar.gz"
nvidia-smi --query-gpu=name,memory.used --format=csv > "$results/gpu.txt" 2>&1
echo "all done after $(( $(date +%s) - t0 )) s"
