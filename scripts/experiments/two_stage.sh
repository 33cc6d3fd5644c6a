#!/bin/bash
# The disc-centred two-stage experiment of docs/results.md (2026-12-07), one direction:
#   scripts/experiments/two_stage.sh COARSE_RUNS UNLABELED TEST OUT
# COARSE_RUNS/seed-N: the whole-image quick DAC runs of a `dacw experiment` (20 Drishti labels),
# UNLABELED/TEST: domain names under ../shared/data/fundus. Per seed: the coarse model predicts the
# unlabeled and test domains; crops are cut around its discs (labeled Drishti crops around the
# expert discs); a quick DAC model trains on the crops; its test predictions are put back into the
# pictures and scored against the full expert masks. Environment: RATIO (disc extent / crop side,
# 0.65), ZMIN/ZMAX (zoom augmentation, 0.8/1.8: the preset's), SEEDS ("1 2 3"), DACW (build/app/cli/dacw).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
D=${DACW:-$here/../../build/app/cli/dacw}
S=$here/../../../shared/data/fundus
coarse=$1; U=$2; T=$3; out=$4
RATIO=${RATIO:-0.65}; L=drishti
mkdir -p "$out"
[ -d "$out/$L" ] || /usr/bin/python3 "$here/disc_crops.py" crop "$S/$L" "$S/$L/masks" "$out/$L" "$RATIO" 256
for s in ${SEEDS:-1 2 3}; do
  C=$coarse/seed-$s; W=$out/s$s; mkdir -p "$W"
  for d in $U $T; do
    [ -d "$W/coarse-$d" ] || "$D" predict --model "$C" --input "$S/$d" --out "$W/coarse-$d" --threads 2 > "$W/coarse-$d.log"
    [ -d "$W/crop-$d" ] || /usr/bin/python3 "$here/disc_crops.py" crop "$S/$d" "$W/coarse-$d" "$W/crop-$d" "$RATIO" 256
  done
  "$D" evaluate --task fundus --pred "$W/coarse-$T" --truth "$S/$T" --out "$W/coarse-metrics.json" > /dev/null
  [ -f "$W/fine/model.pt" ] || "$D" train --task fundus --preset quick --labeled "$out/$L" --labeled-count 20 \
      --unlabeled "$W/crop-$U" --test "$W/crop-$T" --seed "$s" --threads 2 --no-predictions --no-cache \
      --set aug-scale-min="${ZMIN:-0.8}" --set aug-scale-max="${ZMAX:-1.8}" --out "$W/fine" > "$W/fine.log" 2>&1
  "$D" predict --model "$W/fine" --input "$W/crop-$T/images" --out "$W/fine-pred" --threads 2 > "$W/fine-pred.log"
  /usr/bin/python3 "$here/disc_crops.py" paste "$W/crop-$T" "$W/fine-pred" "$S/$T" "$W/two-stage"
  "$D" evaluate --task fundus --pred "$W/two-stage" --truth "$S/$T" --out "$W/two-stage-metrics.json" > /dev/null
done
