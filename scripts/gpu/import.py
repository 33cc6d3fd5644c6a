#!/usr/bin/env python3
"""Turns a run's pred.npz (class probabilities at the training size, from run-experiment.sh) into
label maps with each test image's own size, as PNG files that `dacw evaluate` scores. The
probabilities are resampled bilinearly with pixel centres aligned (OpenCV's INTER_LINEAR, what
`dacw train` and `dacw predict` use) and then arg-maxed, so a GPU-node run scores like a local one;
`dacw evaluate` applies the same anatomy post-processing. An older pred.npz holding arg-max
`labels` is still read (nearest neighbour; boundaries may then differ by a pixel).
--resize must be what `dacw dataset export` made the tensors with (stretch, its default, or
letterbox, which keeps each image's aspect ratio on zero padding: only the image's box goes back).
Usage: import.py PRED.npz IMAGES_DIR OUT_DIR [--resize letterbox|stretch]"""
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


def linear_weights(n_out, n_in):
    """Source indices and weights of pixel-centred linear interpolation (edge samples repeated)."""
    src = (np.arange(n_out) + 0.5) * n_in / n_out - 0.5
    lo = np.floor(src).astype(int)
    frac = src - lo
    return np.clip(lo, 0, n_in - 1), np.clip(lo + 1, 0, n_in - 1), frac


def fit_box(w, h, s, resize):
    """Where a w x h image lies in the s x s input (core/data/Preprocess.cpp fitBox): x, y, bw, bh."""
    if resize == "stretch" or w == h:
        return 0, 0, s, s
    m = max(w, h)
    bw, bh = max(1, (2 * w * s + m) // (2 * m)), max(1, (2 * h * s + m) // (2 * m))
    return (s - bw) // 2, (s - bh) // 2, bw, bh


def resample_argmax(probs, h, w, resize="stretch"):
    """probs [K,s,s] -> labels [h,w]: the image's box, bilinear per class, then arg-max (ties to
    the lower class)."""
    bx, by, bw, bh = fit_box(w, h, probs.shape[-1], resize)
    probs = probs[:, by:by + bh, bx:bx + bw]
    y0, y1, fy = linear_weights(h, bh)
    x0, x1, fx = linear_weights(w, bw)
    p = probs.astype(np.float32)
    rows = p[:, y0, :] * (1 - fy)[None, :, None] + p[:, y1, :] * fy[None, :, None]
    up = rows[:, :, x0] * (1 - fx)[None, None, :] + rows[:, :, x1] * fx[None, None, :]
    return up.argmax(0).astype(np.uint8)


def main():
    args = sys.argv[1:]
    resize = "stretch"
    if "--resize" in args:
        i = args.index("--resize")
        resize = args[i + 1] if i + 1 < len(args) else ""
        del args[i:i + 2]
    if resize not in ("letterbox", "stretch") or len(args) != 3:
        sys.exit(__doc__)
    pred, images, out = args
    d = np.load(pred)
    if "probs" in d:
        probs = d["probs"]
        ids = bytes(d["case_ids"]).decode().split("\0")[: len(probs)]
        os.makedirs(out, exist_ok=True)
        for p, cid in zip(probs, ids):
            w, h = png_size(os.path.join(images, cid + ".png"))
            write_gray_png(os.path.join(out, cid + ".png"), resample_argmax(p, h, w, resize))
        return
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
