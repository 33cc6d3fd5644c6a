#!/bin/bash
# Which cases of a new centre to label for few-shot calibration (docs/results.md): random cases
# against `dacw label-next --pick K` (typical, mixed), each calibrated with `dacw train
# --init-model` (the calibrate preset, replaying the source run's labeled cases):
#   scripts/experiments/calibration_pick.sh SOURCE_RUNS CENTRE OUT
# SOURCE_RUNS/seed-N: co-training runs of a `dacw experiment` (e.g. runs/A-dac-pp/dac), CENTRE: the
# new centre's domain folder (images/ + masks/). Per seed and K, every arm is scored on the same
# cases: the centre minus the cases any arm picked; "k0" is the source model alone on them.
# Environment: SEEDS ("1 2 3"), KS ("3 5"), ARMS ("typical mixed"), DACW (build/app/cli/dacw).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
D=${DACW:-$here/../../build/app/cli/dacw}
src=$1; centre=$2; out=$3
mkdir -p "$out"
for s in ${SEEDS:-1 2 3}; do
  for K in ${KS:-3 5}; do
    W=$out/s$s-k$K; mkdir -p "$W"
    picks=()
    for arm in ${ARMS:-typical mixed}; do
      [ -f "$W/$arm.json" ] || "$D" label-next --run "$src/seed-$s" --all --pick "$K" --pick-by "$arm" --json "$centre" \
          > "$W/$arm.json" 2> "$W/$arm.log"
      picks+=("$arm=$W/$arm.json")
    done
    [ -d "$W/sets/test" ] || /usr/bin/python3 "$here/calibration_pick.py" sets "$centre" "$W/sets" "$s" "$K" "${picks[@]}"
    if [ ! -f "$W/k0/metrics.json" ]; then
      "$D" predict --model "$src/seed-$s" --input "$W/sets/test" --out "$W/k0-pred" --task fundus --threads 2 > "$W/k0.log"
      mkdir -p "$W/k0"
      "$D" evaluate --task fundus --pred "$W/k0-pred" --truth "$W/sets/test" --out "$W/k0/metrics.json" > /dev/null
    fi
    for arm in random ${ARMS:-typical mixed}; do
      [ -f "$W/$arm/metrics.json" ] || "$D" train --task fundus --labeled "$W/sets/$arm" --init-model "$src/seed-$s" \
          --test "$W/sets/test" --seed "$s" --threads 2 --no-predictions --no-cache --out "$W/$arm" > "$W/$arm-train.log" 2>&1
    done
  done
done
/usr/bin/python3 "$here/calibration_pick.py" table "$out"
