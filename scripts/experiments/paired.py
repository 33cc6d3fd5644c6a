#!/usr/bin/env python3
"""Paired, seed-by-seed comparison of two `dacw experiment` folders (or cells of one).

    scripts/experiments/paired.py NEW_DIR[:method] BASE_DIR[:method] [--domain D]

Each DIR is an experiment output folder (its results.json); `:method` picks the method (default:
the only one, else the last listed). Seeds present on both sides are paired. Prints, per test
domain, Dice (disc and cup, or every region) and vCDR error of both sides over the shared seeds,
and NEW - BASE as mean ± sample sd with the number of seeds in which NEW is better. Leave-one-out
folders: name the cell, e.g. runs/x/test-rimone-r2."""
import argparse
import json
import os
import statistics
import sys


def load(spec):
    path, _, method = spec.partition(":")
    with open(os.path.join(path, "results.json")) as f:
        res = json.load(f)
    if "methods" not in res:
        sys.exit(f"{path}/results.json has no methods (a leave-one-out or label-count folder? name a cell)")
    methods = res["methods"]
    if not method:
        method = list(methods)[-1]
    if method not in methods:
        sys.exit(f"{path}: no method {method!r} (there are {', '.join(methods)})")
    return res.get("seeds", []), methods[method]["domains"]


def fmt(values):
    if len(values) < 2:
        return f"{values[0]:+.3f}" if values else "-"
    return f"{statistics.mean(values):+.3f} ± {statistics.stdev(values):.3f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("new")
    ap.add_argument("base")
    ap.add_argument("--domain", help="only this test domain")
    a = ap.parse_args()
    seeds_new, new = load(a.new)
    seeds_base, base = load(a.base)
    for domain in sorted(set(new) & set(base)):
        if a.domain and domain != a.domain:
            continue
        rows = []
        dn, db = new[domain].get("dice_over_seeds", {}), base[domain].get("dice_over_seeds", {})
        for region in dn:
            if region in db:
                rows.append((f"{region} Dice", dn[region]["per_seed"], db[region]["per_seed"], +1))
        vn, vb = new[domain].get("vcdr_mae_over_seeds"), base[domain].get("vcdr_mae_over_seeds")
        if vn and vb:
            rows.append(("vCDR MAE", vn["per_seed"], vb["per_seed"], -1))
        shared = [s for s in seeds_new if s in seeds_base]
        if not shared:
            sys.exit("the two folders share no seed")
        print(f"{domain}: seeds {','.join(map(str, shared))}")
        for name, pn, pb, better in rows:
            xn = [pn[seeds_new.index(s)] for s in shared]
            xb = [pb[seeds_base.index(s)] for s in shared]
            diff = [n - b for n, b in zip(xn, xb)]
            wins = sum(1 for d in diff if d * better > 0)
            print(f"  {name:10s} new {statistics.mean(xn):.3f}  base {statistics.mean(xb):.3f}  "
                  f"new - base {fmt(diff)} ({wins}/{len(diff)})  per seed {', '.join(f'{d:+.3f}' for d in diff)}")


if __name__ == "__main__":
    main()
