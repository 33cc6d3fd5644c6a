#!/usr/bin/python3
"""Disc-centred crops for the two-stage experiment (docs/results.md, 2026-12-07); run by two_stage.sh.
crop:  disc_crops.py crop SRC_DOMAIN DISC_MASK_DIR OUT_DOMAIN RATIO SIZE
       A square around the largest disc component (labels >= 1 of DISC_MASK_DIR's PNGs: the expert
       masks, or a coarse model's predictions), its side = disc extent / RATIO, zero outside the
       picture, resampled to SIZE (pixel centres mapped exactly). Writes OUT/images, OUT/masks (the
       expert masks cropped alike, when present) and OUT/boxes.json. No disc: the whole picture.
paste: disc_crops.py paste OUT_DOMAIN PRED_CROP_DIR SRC_DOMAIN OUT_PRED_DIR
       Puts crop predictions back into each picture's geometry (background outside the crop).
"""
import sys, os, json
import numpy as np, cv2

def disc_box(lab, ratio):
    h, w = lab.shape
    disc = (lab >= 1).astype(np.uint8)
    n, cc, stats, _ = cv2.connectedComponentsWithStats(disc, connectivity=8)
    if n <= 1:
        side = max(h, w)
        return (w - side) / 2.0, (h - side) / 2.0, float(side), False
    k = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    x, y, bw, bh = stats[k, 0], stats[k, 1], stats[k, 2], stats[k, 3]
    cx, cy = x + bw / 2.0, y + bh / 2.0
    side = max(bw, bh) / ratio
    return cx - side / 2.0, cy - side / 2.0, side, True

def crop_img(img, x0, y0, side, size, interp):
    # affine map from output pixel centres to input: u = x0 + (i + .5) * side/size - .5
    s = side / size
    M = np.array([[s, 0, x0 + 0.5 * s - 0.5], [0, s, y0 + 0.5 * s - 0.5]], dtype=np.float64)
    return cv2.warpAffine(img, M, (size, size), flags=interp | cv2.WARP_INVERSE_MAP,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=0)

def do_crop(src, discdir, out, ratio, size):
    os.makedirs(out + "/images", exist_ok=True)
    hasmask = os.path.isdir(src + "/masks")
    if hasmask: os.makedirs(out + "/masks", exist_ok=True)
    boxes = {}; missed = 0
    for f in sorted(os.listdir(src + "/images")):
        img = cv2.imread(src + "/images/" + f, cv2.IMREAD_COLOR)
        lab = cv2.imread(discdir + "/" + f, cv2.IMREAD_UNCHANGED)
        if lab is None: raise SystemExit("no disc mask for " + f)
        if lab.ndim == 3: lab = lab[..., 0]
        x0, y0, side, found = disc_box(lab, ratio)
        missed += not found
        boxes[f] = [x0, y0, side, img.shape[1], img.shape[0]]
        cv2.imwrite(out + "/images/" + f, crop_img(img, x0, y0, side, size, cv2.INTER_LINEAR))
        if hasmask and os.path.exists(src + "/masks/" + f):
            m = cv2.imread(src + "/masks/" + f, cv2.IMREAD_UNCHANGED)
            if m.ndim == 3: m = m[..., 0]
            cv2.imwrite(out + "/masks/" + f, crop_img(m, x0, y0, side, size, cv2.INTER_NEAREST))
    json.dump(boxes, open(out + "/boxes.json", "w"), indent=0)
    print(f"{out}: {len(boxes)} cases, {missed} without a disc (whole image)")

def do_paste(cropdom, predcrop, src, outdir):
    os.makedirs(outdir, exist_ok=True)
    boxes = json.load(open(cropdom + "/boxes.json"))
    for f, (x0, y0, side, w, h) in boxes.items():
        p = cv2.imread(predcrop + "/" + f, cv2.IMREAD_UNCHANGED)
        if p.ndim == 3: p = p[..., 0]
        size = p.shape[0]
        # map full-image pixel centres into crop pixels: i = (u + .5 - x0) * size/side - .5
        s = size / side
        M = np.array([[s, 0, (0.5 - x0) * s - 0.5], [0, s, (0.5 - y0) * s - 0.5]], dtype=np.float64)
        full = cv2.warpAffine(p, M, (w, h), flags=cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP,
                              borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        cv2.imwrite(outdir + "/" + f, full)

if __name__ == "__main__":
    if sys.argv[1] == "crop": do_crop(sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5]), int(sys.argv[6]))
    else: do_paste(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5])
