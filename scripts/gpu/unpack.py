#!/usr/bin/env python3
"""Unpacks a .npz made by pack.py into dataset files that dacw-train (LibTorch) reads:
one NAME.pt per packed dataset, in OUTDIR. Usage: unpack.py IN.npz OUTDIR"""
import os
import sys

import numpy as np
import torch


class Archive(torch.nn.Module):
    """A module whose buffers are the fields of a DAC Workbench dataset archive."""

    def __init__(self, fields):
        super().__init__()
        for k, v in fields.items():
            self.register_buffer(k, v)


def main():
    data, outdir = np.load(sys.argv[1]), sys.argv[2]
    os.makedirs(outdir, exist_ok=True)
    names = sorted({k.split(".")[0] for k in data.files})
    for name in names:
        images = torch.from_numpy(data[f"{name}.images"].astype(np.float32))
        fields = {
            "dacw_kind": torch.tensor(list(b"dacw-tensor-dataset\0"), dtype=torch.uint8),
            "version": torch.tensor([1], dtype=torch.int64),
            "images": images,
            "has_masks": torch.tensor([int(f"{name}.masks" in data.files)], dtype=torch.int64),
            "case_ids": torch.from_numpy(data[f"{name}.case_ids"]),
            "domains": torch.from_numpy(data[f"{name}.domains"]),
        }
        if f"{name}.masks" in data.files:
            fields["masks"] = torch.from_numpy(data[f"{name}.masks"].astype(np.int64))
        torch.jit.save(torch.jit.script(Archive(fields)), os.path.join(outdir, name + ".pt"))
        print(f"{name}: {tuple(images.shape)}")


if __name__ == "__main__":
    main()
