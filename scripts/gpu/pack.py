#!/usr/bin/env python3
"""Packs dataset files written by `dacw dataset export` into one compact .npz (float16 images,
uint8 masks) for a GPU node, where unpack.py turns them back into dataset files for dacw-train.
Usage: pack.py OUT.npz NAME=FILE.pt [NAME=FILE.pt ...]"""
import sys

import numpy as np
import torch


def read_dataset(path):
    m = torch.jit.load(path)
    t = dict(m.named_buffers())
    t.update(dict(m.named_parameters()))
    if bytes(t["dacw_kind"].numpy()).decode().rstrip("\0") != "dacw-tensor-dataset":
        raise SystemExit(f"{path}: not a DAC Workbench dataset file")
    return t


def main():
    out, arrays = sys.argv[1], {}
    for spec in sys.argv[2:]:
        name, path = spec.split("=", 1)
        t = read_dataset(path)
        arrays[f"{name}.images"] = t["images"].numpy().astype(np.float16)
        if int(t["has_masks"].item()):
            arrays[f"{name}.masks"] = t["masks"].numpy().astype(np.uint8)
        arrays[f"{name}.case_ids"] = t["case_ids"].numpy()
        arrays[f"{name}.domains"] = t["domains"].numpy()
    np.savez_compressed(out, **arrays)


if __name__ == "__main__":
    main()
