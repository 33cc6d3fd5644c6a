#!/usr/bin/python3
"""Label-free signals of trained runs on one domain folder (docs/results.md, 2026-12-08).

    unlabeled_signals.py DOMAIN_DIR RUN_DIR [RUN_DIR ...] [--dacw PATH]

For each run (a `dacw train` folder holding model.pt and, for co-training methods,
checkpoint.pt), on every picture of DOMAIN_DIR/images, masks or not:
  disagreement  mean half L1 distance between sub-models A and B's class probabilities
                (`dacw label-next --all --json`, its "score"); "-" for supervised runs
  entropy       mean pixel entropy of the exported model's probabilities (its test-time
                augmentation included)
  cup/disc      (fundus) median predicted cup area over disc area after post-processing

These are the candidates for choosing a model (or a training length) from an unlabeled centre
when no labels of it exist. None of them reads a mask.
"""
import argparse
import glob
import json
import os
import statistics
import subprocess
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "python"))
import dacw_model as dm  # noqa: E402


def disagreement(dacw, run, domain):
    if not os.path.exists(os.path.join(run, "checkpoint.pt")):
        return None
    try:
        with open(os.path.join(run, "config.json")) as f:
            if json.load(f).get("method") == "supervised":
                return None
    except (OSError, ValueError):
        pass
    out = subprocess.run([dacw, "label-next", "--run", run, "--all", "--json", domain], capture_output=True, text=True)
    if out.returncode != 0:
        msg = out.stderr.strip().splitlines()
        print(f"{run}: label-next failed: {msg[-1] if msg else out.returncode}", file=sys.stderr)
        return None
    cases = json.loads(out.stdout)
    return statistics.mean(c["score"] for c in cases) if cases else None


def exported_signals(run, images):
    model = dm.load(run)
    entropy, ratio = [], []
    for image in images:
        labels, p = model.predict(image, return_probabilities=True)
        entropy.append(float(-(p * np.log(np.clip(p, 1e-8, 1.0))).sum(0).mean()))
        if model.info.task == "fundus":
            disc = int((labels >= 1).sum())
            ratio.append(float((labels == 2).sum()) / disc if disc else 0.0)
    return float(np.mean(entropy)), (float(np.median(ratio)) if ratio else None)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("domain")
    ap.add_argument("runs", nargs="+")
    ap.add_argument("--dacw", default=os.path.join(HERE, "..", "..", "build", "app", "cli", "dacw"))
    a = ap.parse_args()
    paths = sorted(glob.glob(os.path.join(a.domain, "images", "*")))
    if not paths:
        sys.exit(f"{a.domain}/images holds no pictures")
    torch.set_num_threads(2)
    images = [dm.read_image(p) for p in paths]
    print(f"{len(images)} pictures of {a.domain}")
    print("run\tdisagreement\tentropy\tcup/disc")
    for run in a.runs:
        d = disagreement(a.dacw, run, a.domain)
        e, r = exported_signals(run, images)
        print(f"{run}\t{'-' if d is None else f'{d:.4f}'}\t{e:.4f}\t{'-' if r is None else f'{r:.3f}'}", flush=True)


if __name__ == "__main__":
    main()
