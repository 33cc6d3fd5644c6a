#!/usr/bin/env python3
"""Op-by-op profile of one DAC iteration, the PyTorch reference beside the C++ trainer, with the
same profiler (LibTorch's legacy autograd profiler, from Python and from C++), the same network
and data shapes; one stream on the calling thread, batches prepared inline, so that every op is
seen. Prints parameters, convolution GFLOPs (forward, backward) and the top ops by self CPU time.

  bench/profile_compare.py --bench BUILD/.../dacw-bench [--variant bf16-cl-prefetch-fused-aspp]
                           [--size 128] [--threads 2] [--head-channels 128] [--iters 2]
"""
import argparse
import json
import os
import subprocess

from cpuinfo import cpu_text

HERE = os.path.dirname(os.path.abspath(__file__))


def run(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return [json.loads(l) for l in out.splitlines() if l.startswith("{")][0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench", required=True)
    ap.add_argument("--python", default="/usr/bin/python3")
    ap.add_argument("--variant", default="bf16-cl-prefetch-fused-aspp-shadow")
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--head-channels", type=int, default=0)
    ap.add_argument("--iters", type=int, default=2)
    ap.add_argument("--rows", type=int, default=12)
    args = ap.parse_args()
    common = ["--size", str(args.size), "--threads", str(args.threads), "--head-channels", str(args.head_channels),
              "--iters", "1", "--warmup", "1", "--infer-size", "0", "--profile", str(args.iters)]
    ref = run([args.python, os.path.join(HERE, "reference.py"), "--json"] + common)
    cpp = run([args.bench, "--variant", args.variant] + common)
    cpu = cpu_text()
    print(f"CPU: {cpu}; {args.size} px, {args.threads} threads, head {args.head_channels or 'default'}; "
          f"profiled {args.iters} iterations, one stream, inline data\n")
    print("| | reference (fp32, NCHW) | dacw (" + args.variant + ") |")
    print("|---|---|---|")
    print(f"| parameters (one network) | {ref['parameters'] / 1e6:.2f} M | {cpp['parameters'] / 1e6:.2f} M |")
    print(f"| conv GFLOPs forward / iteration | {ref['forward_gflops_per_iteration']:.1f} | {cpp['forward_gflops_per_iteration']:.1f} |")
    print(f"| conv GFLOPs backward / iteration | {ref['backward_gflops_per_iteration']:.1f} | {cpp['backward_gflops_per_iteration']:.1f} |")
    print()
    print("| # | reference op | ms/it | share | dacw op | ms/it | share |")
    print("|---|---|---|---|---|---|---|")
    for i in range(args.rows):
        cells = []
        for side in (ref, cpp):
            ops = side["top_ops"]
            if i < len(ops):
                o = ops[i]
                cells += [o["op"], f"{o['self_ms'] / args.iters:.0f}", f"{100 * o['share']:.0f}%"]
            else:
                cells += ["", "", ""]
        print(f"| {i + 1} | " + " | ".join(cells) + " |")
    ref_total = sum(o["self_ms"] for o in ref["top_ops"]) / args.iters
    cpp_total = sum(o["self_ms"] for o in cpp["top_ops"]) / args.iters
    print(f"\n(top-15 ops: reference {ref_total:.0f} ms/it, dacw {cpp_total:.0f} ms/it; profiling adds overhead to both)")


if __name__ == "__main__":
    main()
