#!/usr/bin/python3
"""Test-time input scale, scored outside the product (docs/results.md, 2026-12-07, sixth sitting).

    scale_scan.py RUN_DIR TEST_DOMAIN OUT_DIR SCALES      e.g. SCALES = 0.75,1,1.33,1.67,2

For each picture of TEST_DOMAIN/images, the run's model predicts at input side
round(size * s / 16) * 16 for every s in SCALES (the picture prepared afresh at that side, as
python/dacw_model.py prepares it, with the run's test-time augmentation), the probabilities are
resized back to the training side, and the label map goes through the product's post-processing.
OUT_DIR/<s>/ holds the label maps of scale s, OUT_DIR/auto/ those of the scale whose mean pixel
entropy is lowest for that picture. Score each folder with
`dacw evaluate --task TASK --pred OUT_DIR/<s> --truth TEST_DOMAIN`.
"""
import glob
import math
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
import dacw_model as dm  # noqa: E402


def main(argv):
    if len(argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    run, test, out = argv[0], argv[1], argv[2]
    scales = [float(s) for s in argv[3].split(",")]
    torch.set_num_threads(2)
    m = dm.load(run)
    size, task = m.info.size, m.info.task
    folders = [f"{s:g}" for s in scales] + ["auto"]
    for f in folders:
        os.makedirs(os.path.join(out, f), exist_ok=True)
    entropy = {s: [] for s in scales}
    picks = {s: 0 for s in scales}
    for path in sorted(glob.glob(os.path.join(test, "images", "*"))):
        image = dm.read_image(path)
        h, w = image.shape[:2]
        name = os.path.splitext(os.path.basename(path))[0] + ".png"
        best = None
        for s in scales:
            side = max(16, int(math.floor(size * s / 16 + 0.5)) * 16)
            x = torch.from_numpy(dm.network_input(image, m.info.in_channels, side, m.info.resize))[None]
            p = m.probabilities(x)
            if side != size:
                p = torch.nn.functional.interpolate(p, size=(size, size), mode="bilinear", align_corners=False)
            p = p[0].numpy()
            e = float(-(p * np.log(np.clip(p, 1e-8, 1.0))).sum(0).mean())
            entropy[s].append(e)
            labels = dm.enforce_anatomy(dm.labels_from_probabilities(p, w, h, m.info.resize), task)
            dm._write_labels(labels, os.path.join(out, f"{s:g}", name))
            if best is None or e < best[0]:
                best = (e, s, labels)
        dm._write_labels(best[2], os.path.join(out, "auto", name))
        picks[best[1]] += 1
    for s in scales:
        print(f"scale {s:g}: mean pixel entropy {np.mean(entropy[s]):.4f}, lowest for {picks[s]} pictures")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
