#!/bin/bash
# Builds the training-only tree (-DDACW_TRAIN_ONLY=ON) against the pip PyTorch of a CUDA machine
# and runs dacw-train and dacw-bench with --device cuda. Logs go to $OUT (default /tmp/gpu_check).
set -u
OUT=${OUT:-/tmp/gpu_check}
mkdir -p "$OUT"
log="$OUT/gpu_check.log"
exec > >(tee "$log") 2>&1
py=${PYTHON:-python3}
echo "== environment"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
$py -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda, 'available', torch.cuda.is_available())"
prefix=$($py -c "import torch; print(torch.utils.cmake_prefix_path)")
nproc
echo "== configure + build"
b=/tmp/dacw-gpu-build
t0=$(date +%s)
cmake -S . -B $b -G Ninja -DDACW_TRAIN_ONLY=ON -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" \
  > "$OUT/configure.log" 2>&1 || { tail -40 "$OUT/configure.log"; exit 1; }
cmake --build $b -j "$(nproc)" > "$OUT/build.log" 2>&1 || { grep -E "error|Error" "$OUT/build.log" | head -40; exit 1; }
grep -c "warning" "$OUT/build.log" | sed 's/^/compiler warnings: /'
echo "build took $(( $(date +%s) - t0 )) s"
tr=$b/core/train/dacw-train
bench=$b/core/train/bench/dacw-bench
echo "== synthetic data, training on cuda"
$tr --make-synthetic /tmp/syn --size 128
for bf in true false; do
  $tr --labeled /tmp/syn/labeled.pt --unlabeled /tmp/syn/unlabeled.pt --validation /tmp/syn/validation.pt \
      --out /tmp/run-$bf --device cuda --iterations 300 --validation-interval 100 --bf16 $bf --threads 4 | tail -5
done
$tr --predict /tmp/run-true/model.pt --input /tmp/syn/validation.pt --out /tmp/probs.pt --device cuda
echo "== benchmark (cuda)"
for v in fp32-nchw-inline fp32-cl-prefetch bf16-cl-prefetch-fused-aspp; do
  $bench --device cuda --threads 4 --iters 30 --warmup 5 --variant $v --infer-size 512 --infer-iters 10
done
$bench --device cuda --threads 4 --iters 10 --warmup 3 --size 256 --variant bf16-cl-prefetch-fused-aspp --infer-size 0
echo "== done"
