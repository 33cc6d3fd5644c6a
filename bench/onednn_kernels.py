#!/usr/bin/env python3
"""Which oneDNN kernels one DAC iteration runs, per variant: runs dacw-bench with ONEDNN_VERBOSE=1
(one warm-up and one timed iteration, no inference) and sums the executed primitives by kind and
implementation (e.g. convolution / brg:avx512_core_bf16, reorder / jit:uni), with their time.
Reorders and reference ("ref:") or generic ("gemm:") implementations are where a layout or data
type costs time.

  bench/onednn_kernels.py --bench BUILD/.../dacw-bench [--variant fp32-nchw-inline --variant ...]
                          [--size 128] [--threads 2] [--head-channels 128]
"""
import argparse
import collections
import os
import subprocess

from cpuinfo import cpu_text


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench", required=True)
    ap.add_argument("--variant", action="append", default=[])
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--head-channels", type=int, default=0)
    ap.add_argument("--rows", type=int, default=12)
    args = ap.parse_args()
    variants = args.variant or ["fp32-nchw-inline", "fp32-cl-prefetch", "bf16-cl-prefetch-fused-aspp"]
    cpu = cpu_text()
    print(f"CPU: {cpu}; {args.size} px, {args.threads} threads, head {args.head_channels or 'default'}; "
          "one DAC iteration after one warm-up (oneDNN primitives only)\n")
    for v in variants:
        env = dict(os.environ, ONEDNN_VERBOSE="1", DNNL_VERBOSE="1")
        cmd = [args.bench, "--variant", v, "--size", str(args.size), "--threads", str(args.threads), "--iters", "1",
               "--warmup", "1", "--infer-size", "0", "--head-channels", str(args.head_channels)]
        out = subprocess.run(cmd, env=env, capture_output=True, text=True).stdout.splitlines()
        # Lines: onednn_verbose,exec,cpu,<kind>,<impl>,<prop>,<src/dst descs>,...,<time ms>
        execs = [l.split(",") for l in out if ",exec," in l and (l.startswith("onednn_verbose") or l.startswith("dnnl_verbose"))]
        # The warm-up iteration creates primitives; count only the second half of the executions.
        execs = execs[len(execs) // 2:]
        agg = collections.defaultdict(lambda: [0, 0.0])
        total = 0.0
        for f in execs:
            try:
                kind, impl, ms = f[3], f[4], float(f[-1])
            except (IndexError, ValueError):
                continue
            key = (kind, impl)
            agg[key][0] += 1
            agg[key][1] += ms
            total += ms
        print(f"### {v}: {len(execs)} primitive executions, {total:.0f} ms\n")
        print("| kind | implementation | calls | ms | share |")
        print("|---|---|---|---|---|")
        for (kind, impl), (n, ms) in sorted(agg.items(), key=lambda kv: -kv[1][1])[:args.rows]:
            print(f"| {kind} | {impl} | {n} | {ms:.0f} | {100 * ms / max(total, 1e-9):.0f}% |")
        print()


if __name__ == "__main__":
    main()
