#!/usr/bin/env python3
"""The headline benchmark: the real `dacw train` path against the plain PyTorch reference on the
same fundus PNGs, alternating, in one invocation.

Product: `dacw train --method dac` on real images (labeled Drishti cases, unlabeled RIM-ONE r1),
with its defaults (kernel choice per machine, augmentation on its producer thread, metrics rows,
validation and checkpoints every --interval iterations). Its seconds per iteration come from the
`elapsed_s` column of the run's metrics.csv (one row per iteration at these lengths).
Reference: bench/reference.py loading the same PNGs (PIL), the same network, the same DAC
iteration, validating and saving a checkpoint at the same interval, float32 NCHW as a user writes
it. Both skip the first --warmup iterations. Reported: median s/iteration (the steady state) and
mean s/iteration (validation and checkpoints included), images/s (labeled + unlabeled), the ratio.

  bench/run_bench.sh BUILD_DIR --real [--data ../shared/data/fundus] [--iters 60] [--rounds 2]
                     [--threads 2] [--head-channels 128|256] [--interval 20]
"""
import argparse
import csv
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from cpuinfo import cpu_text

HERE = os.path.dirname(os.path.abspath(__file__))


def product_round(args, out):
    shutil.rmtree(out, ignore_errors=True)
    cmd = [args.dacw, "train", "--task", "fundus", "--method", "dac", "--labeled", os.path.join(args.data, "drishti"),
           "--labeled-count", str(args.labeled_count), "--unlabeled", os.path.join(args.data, "rimone-r1"),
           "--preset", "standard", "--iters", str(args.iters + args.warmup), "--size", str(args.size),
           "--threads", str(args.threads), "--val-interval", str(args.interval), "--checkpoint-every", str(args.interval),
           "--out", out] + sum((["--set", s] for s in args.product_set), [])
    cmd += ["--set", f"head-channels={args.head_channels}"]  # both sides the same network
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"dacw train failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    with open(os.path.join(out, "metrics.csv")) as f:
        rows = list(csv.DictReader(f))
    el = {int(r["iteration"]): float(r["elapsed_s"]) for r in rows}
    its = sorted(i for i in el if i >= args.warmup)
    steps = [el[b] - el[a] for a, b in zip(its, its[1:]) if b == a + 1]
    kernels = ""
    with open(os.path.join(out, "log.txt")) as f:
        for line in f:
            if "kernels:" in line:
                kernels = line.split("kernels:", 1)[1].strip()
    n = its[-1] - its[0]
    return dict(median=statistics.median(steps), mean=(el[its[-1]] - el[its[0]]) / n, process_wall=wall,
                images_per_second=2 * args.batch * n / (el[its[-1]] - el[its[0]]), kernels=kernels)


def reference_round(args, out):
    cmd = [args.python, os.path.join(HERE, "reference.py"), "--json", "--labeled", os.path.join(args.data, "drishti"),
           "--labeled-count", str(args.labeled_count), "--unlabeled", os.path.join(args.data, "rimone-r1"),
           "--iters", str(args.iters), "--warmup", str(args.warmup), "--size", str(args.size), "--threads", str(args.threads),
           "--val-interval", str(args.interval), "--ckpt-interval", str(args.interval), "--infer-size", "0",
           "--batch", str(args.batch), "--out", out]
    cmd += ["--head-channels", str(args.head_channels)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"reference failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    res = [json.loads(l) for l in proc.stdout.splitlines() if l.startswith("{")][0]
    return dict(median=res["median_seconds_per_iteration"], mean=res["seconds_per_iteration"], process_wall=wall,
                images_per_second=res["images_per_second"], kernels="fp32+nchw, one stream (torch defaults)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dacw", required=True, help="path to the dacw executable")
    ap.add_argument("--python", default="/usr/bin/python3")
    ap.add_argument("--data", default=os.path.join(HERE, "..", "..", "shared", "data", "fundus"))
    ap.add_argument("--iters", type=int, default=60, help="timed iterations per run")
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--interval", type=int, default=20, help="validation and checkpoint interval (both sides)")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--labeled-count", type=int, default=20)
    ap.add_argument("--head-channels", type=int, default=128,
                    help="ASPP/decoder channels on both sides: 128 (the standard preset's) or 256 (published)")
    ap.add_argument("--product-set", action="append", default=[], help="extra --set key=value for dacw train")
    args = ap.parse_args()
    if not os.path.isdir(os.path.join(args.data, "drishti")):
        sys.exit(f"no fundus data at {args.data} (needs drishti/ and rimone-r1/)")
    tmp = tempfile.mkdtemp(prefix="dacw-real-bench-")
    results = {"product": [], "reference": []}
    loads = []
    try:
        for r in range(args.rounds):
            for name, fn in (("reference", reference_round), ("product", product_round)):
                loads.append(os.getloadavg()[0])
                res = fn(args, os.path.join(tmp, name))
                results[name].append(res)
                print(f"round {r + 1} {name}: median {res['median']:.3f} s/it, mean {res['mean']:.3f} s/it", file=sys.stderr,
                      flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    best = {k: min(v, key=lambda x: x["median"]) for k, v in results.items()}
    ref = best["reference"]
    print(f"\nReal path, CPU: {cpu_text()}, {args.threads} threads, DAC, DeepLabv3+ ResNet-18, {args.size} px, "
          f"{args.batch}+{args.batch} images, head {args.head_channels} channels, {args.labeled_count} labeled Drishti + "
          f"RIM-ONE r1 unlabeled, validation and checkpoint every {args.interval}; {args.iters} timed iterations, best of "
          f"{args.rounds} rounds; load average at starts {min(loads):.1f}-{max(loads):.1f}\n")
    print("| side | median s/iteration | mean s/iteration (val + ckpt) | images/s | speed-up (median) | speed-up (mean) | kernels |")
    print("|---|---|---|---|---|---|---|")
    for name in ("reference", "product"):
        b = best[name]
        print(f"| {'bench/reference.py' if name == 'reference' else 'dacw train'} | {b['median']:.3f} | {b['mean']:.3f} | "
              f"{b['images_per_second']:.2f} | {ref['median'] / b['median']:.2f}x | {ref['mean'] / b['mean']:.2f}x | {b['kernels']} |")


if __name__ == "__main__":
    main()
