#!/usr/bin/env python3
"""Helpers of calibration_pick.sh (docs/results.md, "Which few cases to label on a new centre").

  calibration_pick.py sets CENTRE OUT SEED K PICKS...   # PICKS: name=file of `label-next --json`
      Writes OUT/<name>/{images,masks} (links to the K picked cases of each arm, plus the arm
      "random": K cases drawn with random.Random(1000 + SEED)) and OUT/test (every other case of
      CENTRE: the cases no arm picked, the same for all arms).
  calibration_pick.py table RESULTS                     # RESULTS/s<seed>-k<K>/<arm>/metrics.json
      Prints cup, disc and vCDR MAE per arm and K (mean +- sd over seeds), and each arm minus
      random, same seed (with the seeds in which the arm is better).
"""
import json
import os
import random
import statistics
import sys
from pathlib import Path


def link_cases(centre, ids, out):
    for sub in ("images", "masks"):
        (out / sub).mkdir(parents=True, exist_ok=True)
        for i in ids:
            src = centre / sub / f"{i}.png"
            dst = out / sub / f"{i}.png"
            if not dst.exists():
                os.symlink(src.resolve(), dst)


def sets(centre, out, seed, k, picks):
    centre, out = Path(centre), Path(out)
    ids = sorted(p.stem for p in (centre / "images").glob("*.png"))
    arms = {"random": random.Random(1000 + int(seed)).sample(ids, int(k))}
    for spec in picks:
        name, path = spec.split("=", 1)
        arms[name] = [c["case"] for c in json.loads(Path(path).read_text())][: int(k)]
    chosen = set().union(*arms.values())
    for name, picked in arms.items():
        link_cases(centre, picked, out / name)
        (out / f"{name}.txt").write_text("\n".join(picked) + "\n")
    link_cases(centre, [i for i in ids if i not in chosen], out / "test")


def scores(path):
    m = json.loads(Path(path).read_text())
    (dom,) = m["domains"].values()
    return {"cup": dom["dice"]["cup"], "disc": dom["dice"]["disc"], "vcdr": dom["vcdr_mae"]}


def table(results):
    results = Path(results)
    runs = {}  # (k, arm) -> {seed: scores}
    for cell in sorted(results.glob("s*-k*")):
        seed, k = cell.name[1:].split("-k")
        for m in sorted(cell.glob("*/metrics.json")):
            runs.setdefault((int(k), m.parent.name), {})[int(seed)] = scores(m)

    def ms(v):
        return f"{statistics.mean(v):.3f} ± {statistics.stdev(v) if len(v) > 1 else 0:.3f}"

    print("| K | cases | cup Dice | disc Dice | vCDR MAE | cup per seed |")
    print("|---|---|---|---|---|---|")
    for (k, arm), per in sorted(runs.items()):
        seeds = sorted(per)
        print(f"| {k} | {arm} | " + " | ".join(ms([per[s][r] for s in seeds]) for r in ("cup", "disc", "vcdr"))
              + " | " + ", ".join(f"{per[s]['cup']:.3f}".lstrip("0") for s in seeds) + " |")
    print()
    for (k, arm), per in sorted(runs.items()):
        base = runs.get((k, "random"))
        if arm in ("random", "k0") or not base:
            continue
        seeds = sorted(set(per) & set(base))
        parts = []
        for r in ("cup", "disc", "vcdr"):
            d = [per[s][r] - base[s][r] for s in seeds]
            wins = sum((x < 0) if r == "vcdr" else (x > 0) for x in d)
            parts.append(f"{r} {statistics.mean(d):+.3f} ± {statistics.stdev(d) if len(d) > 1 else 0:.3f} ({wins}/{len(d)})")
        print(f"K = {k}: {arm} − random: " + ", ".join(parts))


if __name__ == "__main__":
    if len(sys.argv) >= 6 and sys.argv[1] == "sets":
        sets(*sys.argv[2:6], sys.argv[6:])
    elif len(sys.argv) == 3 and sys.argv[1] == "table":
        table(sys.argv[2])
    else:
        sys.exit(__doc__)
