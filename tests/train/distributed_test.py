#!/usr/bin/env python3
"""Data-parallel training through dacw-train on loopback (core/train/Distributed.h).

Usage: distributed_test.py DACW_TRAIN GROUP, GROUP one of
  env          bad launch variables give a clear error, a missing rank 0 a bounded timeout
  equivalence  2 processes x 1 thread against 1 process at the same global batch and seed: the
               loss curves agree within LOSS_TOLERANCE, all ranks end with the same parameters
  lost-peer    a rank killed mid-training makes the other exit non-zero, naming it, within 60 s
  stop         Ctrl-C on one rank stops all of them after the same iteration
  cli          `dacw train --distributed` on the demo data (DACW_TRAIN is then the dacw binary)
  torchrun     the same run launched by torchrun (skipped, exit 77, when torchrun is absent;
               failing under CI=true)
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

BIN, GROUP = sys.argv[1], sys.argv[2]
SKIP = 77
# Mean relative difference of the total loss over 20 iterations between 2 ranks and 1 process at
# the same global batch (4 labeled + 8 unlabeled). The runs differ by BatchNorm's batch statistics
# (per rank 2 + 4 images instead of 4 + 8) and by the CutMix partner of the last image of each
# shard; measured 0.10 on this configuration (0.03 at iteration 1 for the supervised method with
# 4 images per rank, where only BN differs). Another seed differs by 0.55, and the test checks that
# it differs by more than 1.5 x the tolerance, so the tolerance keeps its meaning.
LOSS_TOLERANCE = 0.20
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def base_env(**extra):
    env = {k: v for k, v in os.environ.items()
           if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")
           and not k.startswith("SLURM_") and not k.startswith("TORCHELASTIC")}
    env.update({k: str(v) for k, v in extra.items()})
    return env


def rank_env(rank, world, port, **extra):
    return base_env(RANK=rank, WORLD_SIZE=world, LOCAL_RANK=rank, LOCAL_WORLD_SIZE=world,
                    MASTER_ADDR="127.0.0.1", MASTER_PORT=port, **extra)


work = tempfile.mkdtemp(prefix="dacw_dist_")
data = os.path.join(work, "data")
if GROUP != "cli":
    subprocess.run([BIN, "--make-synthetic", data, "--size", "32"], check=True, stdout=subprocess.DEVNULL)


def train_args(out, iterations=20, **over):
    opts = {"method": "dac", "iterations": iterations, "labeled-batch": 4, "unlabeled-batch": 8, "width": 0.25,
            "threads": 1, "seed": 3, "lr": 1e-3, "ramp-up": 4, "prefetch": 1, "bf16": "false",
            "channels-last": "false", "model-parallel": "false", "dist-timeout": 60}
    opts.update(over)
    args = [BIN, "--labeled", os.path.join(data, "labeled.pt"), "--unlabeled", os.path.join(data, "unlabeled.pt"),
            "--out", out]
    for k, v in opts.items():
        args += ["--" + k, str(v)]
    return args


def run_ranks(args, world=2, timeout=240, **extra):
    port = free_port()
    procs = [subprocess.Popen(args, env=rank_env(r, world, port, **extra), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True) for r in range(world)]
    outs = []
    for p in procs:
        try:
            outs.append(p.communicate(timeout=timeout)[0])
        except subprocess.TimeoutExpired:
            p.kill()
            outs.append(p.communicate()[0] + "\n<timed out>")
    return [p.returncode for p in procs], outs


def losses(out):
    rows = open(os.path.join(out, "metrics.csv")).read().split("\n")
    head = rows[0].split(",")
    col = head.index("total")
    return [float(r.split(",")[col]) for r in rows[1:] if r]


def rel_diff(a, b):
    return sum(abs(x - y) / max(abs(y), 1e-9) for x, y in zip(a, b)) / len(b)


def replica_difference(text):
    m = re.search(r"match rank 0's \(max \|difference\| ([0-9.e+-]+)\)", text)
    return float(m.group(1)) if m else None


def group_env():
    cases = [
        ({"RANK": 0}, "RANK is set but WORLD_SIZE is not"),
        ({"WORLD_SIZE": 2}, "WORLD_SIZE is set but RANK is not"),
        ({"RANK": 2, "WORLD_SIZE": 2, "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": 1}, "RANK=2 is not below WORLD_SIZE=2"),
        ({"RANK": 0, "WORLD_SIZE": "two"}, "WORLD_SIZE='two' is not an integer"),
        ({"RANK": 0, "WORLD_SIZE": 2, "MASTER_PORT": 29500}, "MASTER_ADDR is not set"),
        ({"RANK": 0, "WORLD_SIZE": 2, "MASTER_ADDR": "127.0.0.1"}, "MASTER_PORT is not set"),
        ({"RANK": 0, "WORLD_SIZE": 2, "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": 70000}, "is not a TCP port"),
        ({"RANK": 1, "WORLD_SIZE": 2, "LOCAL_RANK": 2, "LOCAL_WORLD_SIZE": 2, "MASTER_ADDR": "h", "MASTER_PORT": 1},
         "LOCAL_RANK=2 is not below LOCAL_WORLD_SIZE=2"),
    ]
    out = os.path.join(work, "env")
    for env, expect in cases:
        r = subprocess.run(train_args(out, 1), env=base_env(**env), capture_output=True, text=True, timeout=60)
        check(r.returncode == 1 and expect in r.stderr, f"{env} -> exit 1 with '{expect}' (got {r.returncode}: "
              f"{r.stderr.strip()[-200:]})")
    # Slurm's variables count only with --distributed on; MASTER_ADDR is still needed.
    slurm = {"SLURM_PROCID": 1, "SLURM_NTASKS": 2, "SLURM_LOCALID": 0}
    r = subprocess.run(train_args(out, 1, distributed="on"), env=base_env(**slurm), capture_output=True, text=True,
                       timeout=60)
    check(r.returncode == 1 and "MASTER_ADDR is not set" in r.stderr and "Slurm" in r.stderr,
          f"Slurm variables with --distributed on need MASTER_ADDR ({r.stderr.strip()[-200:]})")
    r = subprocess.run(train_args(out, 1, distributed="on"), env=base_env(), capture_output=True, text=True, timeout=60)
    check(r.returncode == 1 and "neither RANK and WORLD_SIZE" in r.stderr, "--distributed on without any launcher")
    r = subprocess.run(train_args(out, 1, distributed="maybe"), env=base_env(), capture_output=True, text=True, timeout=60)
    check(r.returncode == 2 and "auto, on or off" in r.stderr, "--distributed maybe is a usage error")
    # A rank whose rank 0 never comes gives up after --dist-timeout, not never.
    t0 = time.time()
    r = subprocess.run(train_args(out, 1, **{"dist-timeout": 3}), env=rank_env(1, 2, free_port()), capture_output=True,
                       text=True, timeout=90)
    took = time.time() - t0
    check(r.returncode == 1 and "rendezvous at 127.0.0.1:" in r.stderr and took < 45,
          f"missing rank 0: exit 1 after {took:.1f} s with a rendezvous error ({r.stderr.strip()[-200:]})")
    # A global batch the ranks cannot share: both ranks say so.
    codes, outs = run_ranks(train_args(os.path.join(work, "odd"), 2, **{"labeled-batch": 3}), timeout=120)
    check(codes == [1, 1] and all("must be a multiple of the 2 ranks" in o for o in outs),
          f"labeled batch 3 on 2 ranks: both exit 1 with the reason (got {codes})")


def group_equivalence():
    one = os.path.join(work, "one")
    r = subprocess.run(train_args(one), env=base_env(), capture_output=True, text=True, timeout=240)
    check(r.returncode == 0, "1 process trains 20 iterations")
    two = os.path.join(work, "two")
    codes, outs = run_ranks(train_args(two))
    check(codes == [0, 0], f"2 processes x 1 thread train 20 iterations (exit codes {codes})")
    if codes != [0, 0]:
        print(outs[0][-3000:], "\n----\n", outs[1][-3000:])
        return
    a, b = losses(one), losses(two)
    check(len(a) == 20 and len(b) == 20, f"20 metric rows each ({len(a)}, {len(b)}): rank 1 wrote no rows")
    d = rel_diff(b, a)
    print("iteration  1-process  2-ranks")
    for i, (x, y) in enumerate(zip(a, b)):
        print(f"{i + 1:9d}  {x:9.4f}  {y:9.4f}")
    check(d < LOSS_TOLERANCE, f"loss curves agree: mean relative difference {d:.4f} < {LOSS_TOLERANCE}")
    diff = replica_difference(outs[0])
    check(diff is not None and diff <= 1e-6, f"ranks end with the same parameters (max |difference| {diff})")
    check(sorted(os.listdir(two)) == ["config.txt", "metrics.csv", "model.pt"],
          f"the run folder holds rank 0's files only: {sorted(os.listdir(two))}")
    check("world-size=2" in open(os.path.join(two, "config.txt")).read(), "config.txt records world-size=2")
    # The tolerance means something: another seed is further away than it.
    other = os.path.join(work, "seed4")
    subprocess.run(train_args(other, seed=4), env=base_env(), capture_output=True, text=True, timeout=240, check=True)
    ds = rel_diff(losses(other), a)
    check(ds > 1.5 * LOSS_TOLERANCE, f"another seed differs by more ({ds:.4f} > {1.5 * LOSS_TOLERANCE})")
    # Model-parallel stepping under data parallelism: A and B reduce on their own groups.
    mp = os.path.join(work, "mp")
    codes, outs = run_ranks(train_args(mp, threads=2, **{"model-parallel": "true"}))
    check(codes == [0, 0], f"2 processes x 2 threads with model-parallel stepping (exit codes {codes})")
    diff = replica_difference(outs[0]) if codes == [0, 0] else None
    check(diff is not None and diff <= 1e-6, f"model-parallel: ranks end with the same parameters ({diff})")
    if codes == [0, 0]:
        dm = rel_diff(losses(mp), b)
        check(dm < LOSS_TOLERANCE / 10, f"model-parallel curve = the 1-thread 2-rank curve ({dm:.5f})")
    # Resume with another world size: the global batch, so the data stream, is the same.
    res = os.path.join(work, "resume")
    codes, _ = run_ranks(train_args(res, 10, **{"checkpoint-interval": 5}))
    r = subprocess.run(train_args(res, 20, **{"checkpoint-interval": 5, "resume": "true"}), env=base_env(),
                       capture_output=True, text=True, timeout=240)
    check(codes == [0, 0] and r.returncode == 0 and "resumed from" in r.stdout,
          f"2-rank run of 10 iterations resumed by 1 process to 20 ({codes}, {r.returncode})")


def group_lost_peer():
    group_stop()
    for victim in (1, 0):
        out = os.path.join(work, f"lost{victim}")
        port = free_port()
        args = train_args(out, 100000, **{"dist-timeout": 120})
        procs = [subprocess.Popen(args, env=rank_env(r, 2, port), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  text=True) for r in range(2)]
        # Wait until rank 0 reports training under way (a line every 10 iterations).
        started, t0 = False, time.time()
        lines = []
        while time.time() - t0 < 120:
            line = procs[0].stdout.readline()
            if not line:
                break
            lines.append(line)
            if line.startswith("iter 10/"):
                started = True
                break
        check(started, f"training under way before killing rank {victim}")
        if not started:
            print("".join(lines)[-2000:])
            for p in procs:
                p.kill()
            continue
        procs[victim].send_signal(signal.SIGKILL)
        t_kill = time.time()
        survivor = procs[1 - victim]
        try:
            rest = survivor.communicate(timeout=60)[0]
            took = time.time() - t_kill
        except subprocess.TimeoutExpired:
            survivor.kill()
            rest = survivor.communicate()[0]
            took = None
        procs[victim].wait()
        text = ("".join(lines) if victim == 1 else "") + rest
        check(took is not None, f"rank {1 - victim} exits within 60 s of rank {victim}'s death"
              + (f" ({took:.1f} s)" if took is not None else ""))
        check(survivor.returncode not in (0, None), f"rank {1 - victim} exits non-zero ({survivor.returncode})")
        check(f"Lost peer: rank {victim}" in text, f"rank {1 - victim}'s message names rank {victim}: "
              + (text.strip().splitlines() or ["<none>"])[-1][:300])


def group_torchrun():
    tr = shutil.which("torchrun")
    if not tr:
        msg = "torchrun not found (Debian: apt-get install python3-torch)"
        if os.environ.get("CI") == "true":
            check(False, msg + " under CI=true")
            return
        print("SKIP: " + msg)
        sys.exit(SKIP)
    helptext = subprocess.run([tr, "--help"], capture_output=True, text=True).stdout
    # torchrun 1.13 (Debian bookworm) spells its options with underscores, 2.x accepts hyphens too.
    u = "-" if "--nproc-per-node" in helptext else "_"
    out = os.path.join(work, "torchrun")
    cmd = [tr, f"--nnodes=1", f"--nproc{u}per{u}node=2", f"--master{u}addr=127.0.0.1", f"--master{u}port={free_port()}",
           # Debian's torchrun 1.13 under Python 3.11 fails on its default "--redirects 0 --tee 0"
           # (enum.IntFlag no longer lists the zero member, nor 3); 1 or 2 work around it.
           "--redirects", "1", "--tee", "1", f"--no{u}python"] + train_args(out, 6)
    print(" ".join(cmd), flush=True)
    r = subprocess.run(cmd, env=base_env(), capture_output=True, text=True, timeout=300)
    text = r.stdout + r.stderr
    check(r.returncode == 0, f"torchrun --nproc{u}per{u}node 2 dacw-train exits 0 ({r.returncode})")
    check("rank 1 of 2" in text and "from torchrun variables" in text, "the ranks read torchrun's variables")
    diff = replica_difference(text)
    check(diff is not None and diff <= 1e-6, f"torchrun ranks end with the same parameters ({diff})")
    check(os.path.exists(os.path.join(out, "model.pt")), "rank 0 exported model.pt")
    if r.returncode != 0:
        print(text[-4000:])
    # Two "nodes" on loopback: two torchrun agents, --nnodes 2 with --node_rank 0 and 1.
    out2 = os.path.join(work, "torchrun-2nodes")
    port = free_port()
    agents = [subprocess.Popen([tr, "--nnodes=2", f"--node{u}rank={n}", f"--nproc{u}per{u}node=1",
                                f"--master{u}addr=127.0.0.1", f"--master{u}port={port}", "--redirects", "1", "--tee", "1",
                                f"--no{u}python"] + train_args(out2, 6), env=base_env(), stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True) for n in range(2)]
    texts = [a.communicate(timeout=300)[0] for a in agents]
    check([a.returncode for a in agents] == [0, 0], f"torchrun --nnodes 2 --node{u}rank 0/1 both exit 0 "
          f"({[a.returncode for a in agents]})")
    check("rank 1 of 2" in texts[1] and replica_difference(texts[0]) == 0.0,
          "the second node's agent ran rank 1; the ranks end with the same parameters")
    if any(a.returncode for a in agents):
        print(texts[0][-3000:], "\n----\n", texts[1][-3000:])


def group_stop():
    """Ctrl-C on one rank stops every rank after the same iteration; rank 0 saves a checkpoint."""
    out = os.path.join(work, "stop")
    port = free_port()
    args = train_args(out, 100000, **{"checkpoint-interval": 100000})
    procs = [subprocess.Popen(args, env=rank_env(r, 2, port), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True) for r in range(2)]
    t0 = time.time()
    while time.time() - t0 < 120:
        line = procs[0].stdout.readline()
        if not line or line.startswith("iter 10/"):
            break
    procs[1].send_signal(signal.SIGINT)
    outs = [p.communicate(timeout=120)[0] for p in procs]
    stops = [re.search(r"cancelled at iteration (\d+)", o) for o in outs]
    check([p.returncode for p in procs] == [130, 130], f"both ranks exit 130 ({[p.returncode for p in procs]})")
    check(all(stops) and stops[0].group(1) == stops[1].group(1),
          "both stop after the same iteration" + (f" ({stops[0].group(1)})" if all(stops) else ""))
    check(os.path.exists(os.path.join(out, "checkpoint.pt")), "rank 0 saved a checkpoint to resume from")


def group_cli():
    """`dacw train --distributed` (BIN is dacw here) on the demo's fundus centres, 2 ranks."""
    demo = os.path.join(work, "demo")
    subprocess.run([BIN, "demo", demo], check=True, capture_output=True)
    f = os.path.join(demo, "fundus")
    run = os.path.join(work, "run")
    args = [BIN, "train", "--distributed", "--dist-timeout", "60", "--task", "fundus", "--labeled",
            os.path.join(f, "centre-a"), "--labeled-count", "4", "--unlabeled", os.path.join(f, "centre-b"), "--test",
            os.path.join(f, "centre-c"), "--method", "dac", "--iters", "6", "--size", "32", "--width", "0.25",
            "--batch", "4", "--threads", "1", "--bf16", "false", "--set", "channels-last=false", "--set",
            "model-parallel=false", "--no-cache", "--out", run]
    codes, outs = run_ranks(args, timeout=240)
    check(codes == [0, 0], f"dacw train --distributed on 2 ranks exits 0 ({codes})")
    check(replica_difference(outs[0]) == 0.0 and "rank 1: finished at iteration 6" in outs[1],
          "both ranks trained 6 iterations and end with the same parameters")
    for name in ("model.pt", "metrics.json", "config.json", "metrics.csv"):
        check(os.path.exists(os.path.join(run, name)), f"rank 0 wrote {name}")
    log = open(os.path.join(run, "log.txt")).read() if os.path.exists(os.path.join(run, "log.txt")) else ""
    check("rank 1 of 2" not in log and "rank 0 of 2" in log, "log.txt is rank 0's alone")
    r = subprocess.run(args[:2] + ["--dist-timeout", "5"] + args[5:], env=base_env(), capture_output=True, text=True)
    check(r.returncode == 2 and "--dist-timeout needs --distributed" in r.stderr, "--dist-timeout alone is a usage error")
    r = subprocess.run(args, env=base_env(), capture_output=True, text=True, timeout=60)
    check(r.returncode == 1 and "neither RANK and WORLD_SIZE" in r.stderr, "--distributed without a launcher: exit 1")
    if codes != [0, 0]:
        print(outs[0][-3000:], "\n----\n", outs[1][-3000:])


try:
    {"env": group_env, "cli": group_cli, "stop": group_stop, "equivalence": group_equivalence, "lost-peer": group_lost_peer,
     "torchrun": group_torchrun}[GROUP]()
finally:
    shutil.rmtree(work, ignore_errors=True)
print(f"{'FAILED' if failures else 'passed'}: {len(failures)} failure(s)")
sys.exit(1 if failures else 0)
