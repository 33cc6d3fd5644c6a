#!/usr/bin/python3
"""Which BatchNorm statistics a trained model predicts with, scored outside the product.

    bn_stats.py RUN_DIR STATS_DOMAIN TEST_DOMAIN OUT_DIR [--adapted-only]

The run's exported model (RUN_DIR/model.pt) predicts TEST_DOMAIN/images twice:
OUT_DIR/stored/ with the BatchNorm running statistics the training left in the model (the
product's prediction), and OUT_DIR/adapted/ after every BatchNorm layer's statistics were
recomputed as the plain average over all pictures of STATS_DOMAIN/images (each prepared as
python/dacw_model.py prepares it, no augmentation, batches of 8; AdaBN, Li et al. 2016). With
STATS_DOMAIN = TEST_DOMAIN this is test-time adaptation to the new centre (transductive: it
reads the unlabeled pictures it then predicts); with STATS_DOMAIN = an unlabeled training domain
it is not. Both use the run's test-time augmentation and the product's post-processing. Score
each folder with `dacw evaluate --task TASK --pred OUT_DIR/<folder> --truth TEST_DOMAIN`.
`--adapted-only` skips the stored-statistics folder (the run's own test scores are those).
"""
import glob
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
import dacw_model as dm  # noqa: E402


def inputs(m, domain):
    paths = sorted(glob.glob(os.path.join(domain, "images", "*")))
    return paths, [dm.network_input(dm.read_image(p), m.info.in_channels, m.info.size, m.info.resize) for p in paths]


def predict_all(m, paths, out):
    os.makedirs(out, exist_ok=True)
    for path in paths:
        image = dm.read_image(path)
        labels = m.predict(image)
        dm._write_labels(labels, os.path.join(out, os.path.splitext(os.path.basename(path))[0] + ".png"))


def adapt(m, xs):
    bns = [mod for mod in m.net.modules() if isinstance(mod, torch.nn.BatchNorm2d)]
    for bn in bns:
        bn.reset_running_stats()
        bn.momentum = None  # cumulative average over the batches
    m.net.eval()
    for bn in bns:
        bn.train()
    with torch.no_grad():
        for i in range(0, len(xs), 8):
            m.net(torch.from_numpy(np.stack(xs[i:i + 8])))
    m.net.eval()


def main(argv):
    adapted_only = "--adapted-only" in argv
    argv = [a for a in argv if a != "--adapted-only"]
    if len(argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    run, stats, test, out = argv
    torch.set_num_threads(2)
    m = dm.load(os.path.join(run, "model.pt") if os.path.isdir(run) else run)
    test_paths = sorted(glob.glob(os.path.join(test, "images", "*")))
    if not adapted_only:
        predict_all(m, test_paths, os.path.join(out, "stored"))
    _, xs = inputs(m, stats)
    adapt(m, xs)
    predict_all(m, test_paths, os.path.join(out, "adapted"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
