#!/usr/bin/env python3
"""Runs the PyTorch reference (reference.py) and the C++ trainer (dacw-bench) side by side with the
same threads and sizes, alternating, several rounds, and prints a table: seconds per DAC iteration
(4 labeled + 4 unlabeled), ratio to the reference, inference seconds per image, data-wait
fraction, peak RSS, and process CPU seconds per iteration (with one thread the CPU-time ratio is
robust to other processes on a shared machine; with more it also counts OpenMP spin-waiting). Each variant runs in its own process (so peak RSS is its own); the best
round counts (other processes on a shared machine only ever make a run slower).
"""
import argparse
import json
import os
import subprocess
import sys
import time

from cpuinfo import cpu_text

HERE = os.path.dirname(os.path.abspath(__file__))
CPP_VARIANTS = ["fp32-nchw-inline", "fp32-nchw-prefetch", "fp32-cl-prefetch", "bf16-cl-prefetch", "bf16-cl-prefetch-fused",
                "bf16-cl-prefetch-fused-aspp", "bf16-cl-prefetch-fused-aspp-mp",
                "bf16-cl-prefetch-fused-aspp-mp-shadow"]
PY_VARIANTS = {"reference-fp32-nchw": [], "reference-bf16-cl": ["--bf16", "--channels-last"]}


def run(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return [json.loads(l) for l in out.splitlines() if l.startswith("{")]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench", required=True, help="path to the dacw-bench executable")
    ap.add_argument("--python", default="/usr/bin/python3")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--iters", type=int, default=6)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--infer-size", type=int, default=512)
    ap.add_argument("--width", type=float, default=1.0)
    ap.add_argument("--head-channels", type=int, default=0, help="ASPP/decoder channels (0 = 256 x width)")
    ap.add_argument("--skip-python-bf16", action="store_true")
    args = ap.parse_args()
    common = ["--threads", str(args.threads), "--size", str(args.size), "--iters", str(args.iters),
              "--warmup", str(args.warmup), "--infer-size", str(args.infer_size), "--width", str(args.width),
              "--head-channels", str(args.head_channels)]
    best = {}
    loads = []
    for r in range(args.rounds):
        jobs = [(name, [args.python, os.path.join(HERE, "reference.py"), "--json"] + common + extra)
                for name, extra in PY_VARIANTS.items() if not (args.skip_python_bf16 and "bf16" in name)]
        jobs += [(v, [args.bench, "--variant", v] + common) for v in CPP_VARIANTS]
        for name, cmd in jobs:
            loads.append(os.getloadavg()[0])
            res = run(cmd)[0]
            res["data_wait_fraction"] = res.get("data_wait_fraction", res.get("data_fraction"))
            print(f"round {r + 1} {name}: {res['seconds_per_iteration']:.3f} s/it", file=sys.stderr, flush=True)
            if name not in best or res["seconds_per_iteration"] < best[name]["seconds_per_iteration"]:
                best[name] = res
    ref = best["reference-fp32-nchw"]
    cpu = cpu_text()
    print(f"\nCPU: {cpu}. DAC iteration, ResNet-18 DeepLabv3+ width {args.width}, head {args.head_channels or 'default'}, "
          f"{args.size}x{args.size}, 4+4 images, "
          f"{args.threads} threads; inference {args.infer_size}x{args.infer_size}; best of {args.rounds} rounds; "
          f"load average during runs {min(loads):.1f}-{max(loads):.1f}\n")
    print(f"| variant | s/iteration | speed-up vs reference | CPU s/iteration | CPU-time speed-up | inference s/image | data wait | peak RSS MB |")
    print(f"|---|---|---|---|---|---|---|---|")
    for name in list(PY_VARIANTS) + CPP_VARIANTS:
        if name not in best:
            continue
        b = best[name]
        inf = b.get("inference_seconds") or 0.0
        print(f"| {name} | {b['seconds_per_iteration']:.3f} | {ref['seconds_per_iteration'] / b['seconds_per_iteration']:.2f}x "
              f"| {b['cpu_seconds_per_iteration']:.3f} | {ref['cpu_seconds_per_iteration'] / b['cpu_seconds_per_iteration']:.2f}x "
              f"| {inf:.3f} | {100 * (b['data_wait_fraction'] or 0):.1f}% | {b['peak_rss_mb']:.0f} |")


if __name__ == "__main__":
    main()
