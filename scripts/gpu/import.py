#!/usr/bin/env python3
"""Turns a run's pred.npz (arg-max labels at the training size, from run-experiment.sh) into label
maps with each test image's own size (nearest-neighbour), as PNG files that `dacw evaluate` scores.
Usage: import.py PRED.npz IMAGES_DIR OUT_DIR"""
import os
import struct
import sys
import zlib

import numpy as np


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n":
        raise SystemExit(f"{path}: not a PNG")
    return struct.unpack(">II", head[16:24])  # width, height


def write_gray_png(path, a):
    h, w = a.shape
    raw = b"".join(b"\x00" + a[y].tobytes() for y in range(h))

    def chunk(t, c):
        return struct.pack(">I", len(c)) + t + c + struct.pack(">I", zlib.crc32(t + c) & 0xFFFFFFFF)

    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))


def main():
    pred, images, out = sys.argv[1], sys.argv[2], sys.argv[3]
    d = np.load(pred)
    labels = d["labels"]
    ids = bytes(d["case_ids"]).decode().split("\0")[: len(labels)]
    os.makedirs(out, exist_ok=True)
    for lab, cid in zip(labels, ids):
        w, h = png_size(os.path.join(images, cid + ".png"))
        s = lab.shape[0]
        ys = np.minimum((np.arange(h) + 0.5) * s / h, s - 1).astype(int)
        xs = np.minimum((np.arange(w) + 0.5) * s / w, s - 1).astype(int)
        write_gray_png(os.path.join(out, cid + ".png"), np.ascontiguousarray(lab[ys][:, xs]).astype(np.uint8))


if __name__ == "__main__":
    main()
