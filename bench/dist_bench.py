#!/usr/bin/env python3
"""Data-parallel scaling of dacw-train on loopback: 1 process x T threads against N processes x T
threads at the same global batch (docs/cluster.md). Prints a table; times nothing as a test.

  bench/dist_bench.py --dacw-train BUILD/core/train/dacw-train [--size 64] [--iterations 40]
                      [--batch 4] [--width 0.5] [--procs 2] [--threads 1] [--method dac]

Throughput is the global batch (labeled + unlabeled images) over the median seconds per iteration
after a warm-up (iterations 1-5 are dropped); the all-reduce time is rank 0's (gradients and BN
statistics of both sub-models, from metrics.csv); the last row runs N unrelated one-process
trainings of batch/N side by side, without any exchange: the most N processes can get from this
machine, against which the data-parallel row's overhead shows; the bytes are the gradient payload one rank
all-reduces per iteration, and what a ring all-reduce sends per rank, 2 (N-1)/N times that.
"""
import argparse
import os
import socket
import statistics
import subprocess
import tempfile

from cpuinfo import cpu_text


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items()
           if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")}
    env.update({k: str(v) for k, v in extra.items()})
    return env


def run(a, data, out, procs, independent=False):
    """procs ranks of one run; with `independent`, procs unrelated one-process runs of batch/procs
    side by side (no communication): what the machine gives two processes, the ceiling."""
    batch = a.batch // procs if independent else a.batch
    args = [a.dacw_train, "--labeled", os.path.join(data, "labeled.pt"), "--unlabeled",
            os.path.join(data, "unlabeled.pt"), "--out", out, "--method", a.method, "--iterations",
            str(a.iterations), "--labeled-batch", str(batch), "--unlabeled-batch", str(batch), "--width",
            str(a.width), "--threads", str(a.threads), "--seed", "1", "--prefetch", "2",
            "--bf16", "false", "--channels-last", "false", "--model-parallel", "false"]
    port = free_port()
    if independent:
        ps = [subprocess.Popen(args[:args.index("--out") + 1] + [f"{out}-{r}"] + args[args.index("--out") + 2:],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=clean_env())
              for r in range(procs)]
        outs = [p.communicate()[0] for p in ps]
        if any(p.returncode for p in ps):
            raise SystemExit("run failed:\n" + "\n----\n".join(o[-2000:] for o in outs))
        rs = [metrics(a, f"{out}-{r}", 2 * batch) for r in range(procs)]
        worst = max(rs, key=lambda r: r["s_iter"])
        return {"s_iter": worst["s_iter"], "ips": 2 * a.batch / worst["s_iter"], "comm": 0.0, "bytes": 0.0}
    ps = [subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           env=clean_env(**({} if procs == 1 else dict(RANK=r, WORLD_SIZE=procs, LOCAL_RANK=r,
                                                                         LOCAL_WORLD_SIZE=procs,
                                                                         MASTER_ADDR="127.0.0.1",
                                                                         MASTER_PORT=port))))
          for r in range(procs)]
    outs = [p.communicate()[0] for p in ps]
    if any(p.returncode for p in ps):
        raise SystemExit("run failed:\n" + "\n----\n".join(o[-2000:] for o in outs))
    return metrics(a, out, 2 * a.batch)


def metrics(a, out, images):
    rows = open(os.path.join(out, "metrics.csv")).read().split("\n")
    head = rows[0].split(",")
    recs = [dict(zip(head, r.split(","))) for r in rows[1:] if r][5:]
    images = images if a.method != "supervised" else images // 2
    s_iter = statistics.median(images / float(r["images_per_s"]) for r in recs)
    comm = statistics.median(float(r.get("allreduce_s", 0)) for r in recs)
    payload = statistics.median(float(r.get("allreduce_bytes", 0)) for r in recs)
    return {"s_iter": s_iter, "ips": images / s_iter, "comm": comm, "bytes": payload}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dacw-train", required=True)
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--iterations", type=int, default=40)
    p.add_argument("--batch", type=int, default=4, help="global labeled and unlabeled batch")
    p.add_argument("--width", type=float, default=0.5)
    p.add_argument("--procs", type=int, default=2)
    p.add_argument("--threads", type=int, default=1, help="threads per process")
    p.add_argument("--method", default="dac")
    a = p.parse_args()
    work = tempfile.mkdtemp(prefix="dacw_dist_bench_")
    data = os.path.join(work, "data")
    subprocess.run([a.dacw_train, "--make-synthetic", data, "--size", str(a.size)], check=True,
                   stdout=subprocess.DEVNULL)
    one = run(a, data, os.path.join(work, "one"), 1)
    many = run(a, data, os.path.join(work, "many"), a.procs)
    ceiling = run(a, data, os.path.join(work, "apart"), a.procs, independent=True)
    n = a.procs
    cpu = cpu_text()
    print(f"CPU: {cpu}; {os.cpu_count()} logical cores; {a.method}, ResNet-18 x{a.width}, {a.size} px, global batch "
          f"{a.batch}+{a.batch}, {a.iterations} iterations (median after 5), {a.threads} thread(s) per process")
    print()
    print("| processes x threads | s/iteration | images/s | scaling | all-reduce s/iter | all-reduce share "
          "| payload MB/iter | ring bytes sent MB/iter |")
    print("|---|---|---|---|---|---|---|---|")
    for name, r, procs in (("1", one, 1), (str(n), many, n), (f"{n} unrelated, batch/{n} each, no exchange", ceiling, 1)):
        ring = 2 * (procs - 1) / procs * r["bytes"]
        print(f"| {name} x {a.threads} | {r['s_iter']:.3f} | {r['ips']:.1f} | {r['ips'] / one['ips']:.2f}x "
              f"| {r['comm']:.4f} | {100 * r['comm'] / r['s_iter']:.1f}% | {r['bytes'] / 1e6:.2f} | {ring / 1e6:.2f} |")


if __name__ == "__main__":
    main()
