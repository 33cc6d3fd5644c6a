#!/usr/bin/env python3
"""PyTorch reference of the DAC Workbench networks and one DAC co-training iteration.

A straightforward PyTorch implementation of what core/train does in C++ (same architecture, same
losses, same per-iteration work), written the way a PyTorch user would: float32, NCHW, teacher
pass under torch.no_grad(), augmentation inline on the training thread. It is the baseline the C++
benchmark (bench/dacw_bench.cpp) is compared against; run both with bench/run_bench.sh.

Usage: reference.py [--size 128] [--threads 2] [--iters 10] [--warmup 3] [--width 1.0]
                    [--backbone resnet18] [--infer-size 512] [--bf16] [--channels-last] [--json]
"""
import argparse
import json
import math
import os
import resource
import time

import numpy as np

import torch
import torch.nn as nn
import torch.nn.functional as F


def scaled(base, width):
    return max(8, int(round(base * width / 8.0)) * 8)


def conv(i, o, k, stride=1, dilation=1, bias=False):
    return nn.Conv2d(i, o, k, stride=stride, padding=dilation * (k - 1) // 2, dilation=dilation, bias=bias)


class Block(nn.Module):
    def __init__(self, bottleneck, inp, planes, stride, dilation, first_dilation):
        super().__init__()
        self.bottleneck = bottleneck
        out = planes * 4 if bottleneck else planes
        if bottleneck:
            self.conv1, self.bn1 = conv(inp, planes, 1), nn.BatchNorm2d(planes)
            self.conv2, self.bn2 = conv(planes, planes, 3, stride, first_dilation), nn.BatchNorm2d(planes)
            self.conv3, self.bn3 = conv(planes, out, 1), nn.BatchNorm2d(out)
        else:
            self.conv1, self.bn1 = conv(inp, planes, 3, stride, first_dilation), nn.BatchNorm2d(planes)
            self.conv2, self.bn2 = conv(planes, planes, 3, 1, dilation), nn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or inp != out:
            self.downsample = nn.Sequential(conv(inp, out, 1, stride), nn.BatchNorm2d(out))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        if self.bottleneck:
            y = F.relu(self.bn2(self.conv2(y)))
            y = self.bn3(self.conv3(y))
        else:
            y = self.bn2(self.conv2(y))
        return F.relu(y + (self.downsample(x) if self.downsample is not None else x))


class Encoder(nn.Module):
    def __init__(self, backbone, width, in_ch):
        super().__init__()
        bottleneck = backbone == "resnet50"
        blocks = [2, 2, 2, 2] if backbone == "resnet18" else [3, 4, 6, 3]
        self.inplanes = scaled(64, width)
        self.conv1 = nn.Conv2d(in_ch, self.inplanes, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(self.inplanes)
        self.dilation = 1
        self.layer1 = self._layer(bottleneck, scaled(64, width), blocks[0], 1, False)
        self.low_channels = self.inplanes
        self.layer2 = self._layer(bottleneck, scaled(128, width), blocks[1], 2, False)
        self.layer3 = self._layer(bottleneck, scaled(256, width), blocks[2], 2, False)
        self.layer4 = self._layer(bottleneck, scaled(512, width), blocks[3], 2, True)
        self.high_channels = self.inplanes

    def _layer(self, bottleneck, planes, n, stride, dilate):
        prev = self.dilation
        if dilate:
            self.dilation *= stride
            stride = 1
        layers = [Block(bottleneck, self.inplanes, planes, stride, self.dilation, prev)]
        self.inplanes = planes * 4 if bottleneck else planes
        layers += [Block(bottleneck, self.inplanes, planes, 1, self.dilation, self.dilation) for _ in range(1, n)]
        return nn.Sequential(*layers)

    def forward(self, x):
        y = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 3, 2, 1)
        low = self.layer1(y)
        return low, self.layer4(self.layer3(self.layer2(low)))


def cbr(i, o, k, d=1):
    return nn.Sequential(conv(i, o, k, 1, d), nn.BatchNorm2d(o), nn.ReLU(inplace=True))


class ASPP(nn.Module):
    def __init__(self, inp, out, dropout, rates=(6, 12, 18)):
        super().__init__()
        self.b0 = cbr(inp, out, 1)
        self.b1, self.b2, self.b3 = (cbr(inp, out, 3, r) for r in rates)
        self.pool = nn.Sequential(conv(inp, out, 1, bias=True), nn.ReLU(inplace=True))
        self.project = cbr(5 * out, out, 1)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        h, w = x.shape[2:]
        p = self.pool(x.mean((2, 3), keepdim=True)).expand(-1, -1, h, w)
        return self.dropout(self.project(torch.cat([self.b0(x), self.b1(x), self.b2(x), self.b3(x), p], 1)))


class DeepLabV3Plus(nn.Module):
    def __init__(self, backbone="resnet18", width=1.0, in_ch=3, classes=3, dropout=0.1, head=0, rates=(6, 12, 18)):
        super().__init__()
        self.encoder = Encoder(backbone, width, in_ch)
        d = head if head > 0 else scaled(256, width)
        lp = scaled(48, width)
        self.feature_channels = d
        self.aspp = ASPP(self.encoder.high_channels, d, dropout, rates)
        self.low_project = cbr(self.encoder.low_channels, lp, 1)
        self.fuse = nn.Sequential(conv(d + lp, d, 3), nn.BatchNorm2d(d), nn.ReLU(inplace=True),
                                  conv(d, d, 3), nn.BatchNorm2d(d), nn.ReLU(inplace=True))
        self.classifier = conv(d, classes, 1, bias=True)

    def forward(self, x):
        low, high = self.encoder(x)
        high = self.aspp(high)
        low = self.low_project(low)
        high = F.interpolate(high, size=low.shape[2:], mode="bilinear", align_corners=False)
        feat = self.fuse(torch.cat([high, low], 1))
        logits = F.interpolate(self.classifier(feat).float(), size=x.shape[2:], mode="bilinear", align_corners=False)
        return logits, feat


class SubModel(nn.Module):
    def __init__(self, proj, cutmix, rotation, **kw):
        super().__init__()
        self.net = DeepLabV3Plus(**kw)
        d = self.net.feature_channels
        self.proj = nn.Sequential(conv(d, d, 1), nn.BatchNorm2d(d), nn.ReLU(inplace=True), conv(d, d, 1, bias=True)) if proj else None
        self.cutmix = conv(d, 1, 1, bias=True) if cutmix else None
        self.rotation = nn.Linear(d, 4) if rotation else None


# ---------------------------------------------------------------- losses and augmentation
def ce(logits, labels):
    per = F.cross_entropy(logits.float(), labels, ignore_index=-1, reduction="none")
    return per.sum() / labels.ne(-1).sum().clamp_min(1)


def dice_loss(logits, labels, eps=1e-5):
    k = logits.shape[1]
    p = logits.float().softmax(1)
    g = F.one_hot(labels.clamp_min(0), k).permute(0, 3, 1, 2).float()
    inter, den = (p * g).sum((0, 2, 3)), p.sum((0, 2, 3)) + g.sum((0, 2, 3))
    return 1 - ((2 * inter + eps) / (den + eps))[1:].mean()


def weak(x, m=None):
    b = x.shape[0]
    u = torch.rand(b, 7, dtype=torch.float64)
    theta = torch.zeros(b, 2, 3)
    for i in range(b):
        fx = -1.0 if u[i, 0] < 0.5 else 1.0
        rad = math.radians((2 * u[i, 2] - 1) * 15)
        s = math.exp(math.log(0.8) + math.log(1.8 / 0.8) * u[i, 4])  # zoom, log-uniform as the product
        c, sn = math.cos(rad) / s, math.sin(rad) / s
        theta[i] = torch.tensor([[c * fx, -sn, (2 * u[i, 5] - 1) * 0.16], [sn * fx, c, (2 * u[i, 6] - 1) * 0.16]])
    grid = F.affine_grid(theta, x.shape, align_corners=False)
    xo = F.grid_sample(x, grid, mode="bilinear", align_corners=False)
    mo = None
    if m is not None:
        mo = F.grid_sample(m.unsqueeze(1).float(), grid, mode="nearest", align_corners=False).squeeze(1).round().long()
    return xo, mo


def znorm(x):
    mu = x.mean((2, 3), keepdim=True)
    return (x - mu) / (x - mu).pow(2).mean((2, 3), keepdim=True).sqrt().clamp_min(1e-6)


def strong(x):
    b, c, h, w = x.shape
    u = torch.rand(b, 8)
    lo, hi = x.amin((1, 2, 3), keepdim=True), x.amax((1, 2, 3), keepdim=True)
    rng = (hi - lo).clamp_min(1e-6)
    g = ((2 * u[:, 0] - 1) * math.log1p(0.4)).exp().view(b, 1, 1, 1)
    x = lo + ((x - lo) / rng).clamp(0, 1).pow(g) * rng
    if c == 3:
        gray = x.mean(1, keepdim=True)
        x = gray + (x - gray) * (1 + (2 * u[:, 1] - 1) * 0.4).view(b, 1, 1, 1)
        mix = torch.eye(3).unsqueeze(0) + (2 * torch.rand(b, 3, 3) - 1) * 0.1
        x = torch.bmm(mix, x.reshape(b, 3, h * w)).reshape(b, 3, h, w)
    r = 3
    k = torch.zeros(b, 2 * r + 1)
    for i in range(b):
        if u[i, 4] < 0.3:
            s = 0.3 + 0.9 * u[i, 5].item()
            t = torch.exp(-0.5 * torch.arange(-r, r + 1).float() ** 2 / s ** 2)
            k[i] = t / t.sum()
        else:
            k[i, r] = 1
    k = k.repeat_interleave(c, 0)
    flat = F.pad(x.reshape(1, b * c, h, w), (r, r, r, r), mode="reflect")
    flat = F.conv2d(F.conv2d(flat, k.view(b * c, 1, 1, -1), groups=b * c), k.view(b * c, 1, -1, 1), groups=b * c)
    x = flat.reshape(b, c, h, w) + torch.randn(b, c, h, w) * (u[:, 6] * 0.08).view(b, 1, 1, 1)
    return znorm(x)


def mix_plan(b, h, w):
    mask = torch.zeros(b, 1, h, w)
    boxes, ks = [], []
    for i in range(b):
        area = (0.25 + 0.25 * torch.rand(1).item()) * h * w
        bh = min(h, max(1, int(round(math.sqrt(area)))))
        bw = min(w, max(1, int(round(area / bh))))
        y0, x0 = torch.randint(0, h - bh + 1, (1,)).item(), torch.randint(0, w - bw + 1, (1,)).item()
        mask[i, :, y0:y0 + bh, x0:x0 + bw] = 1
        side = max(4, int(round((0.25 + 0.25 * torch.rand(1).item()) * h / 4)) * 4)
        boxes.append((torch.randint(0, (h - side) // 4 + 1, (1,)).item() * 4,
                      torch.randint(0, (w - side) // 4 + 1, (1,)).item() * 4, side))
        ks.append(torch.randint(0, 4, (1,)).item())
    partner = (torch.arange(b) + 1) % b
    return partner, mask, boxes, torch.tensor(ks)


def apply_mix(plan, x):
    partner, mask, boxes, ks = plan
    m = mask.bool() if x.dim() == 4 else mask[:, 0].bool()
    out = torch.where(m, x[partner], x).clone()
    for i, (y0, x0, s) in enumerate(boxes):
        out[i, ..., y0:y0 + s, x0:x0 + s] = torch.rot90(out[i, ..., y0:y0 + s, x0:x0 + s].clone(), int(ks[i]), (-2, -1))
    return out


def load_folder(folder, size, masks, ids=None):
    """Images (and masks) of one domain folder (<folder>/images/*.png, <folder>/masks/*.png),
    resized to size x size (bilinear; masks nearest), z-scored per image and channel."""
    from PIL import Image
    names = sorted(f for f in os.listdir(os.path.join(folder, "images")) if f.lower().endswith(".png"))
    if masks:
        names = [n for n in names if os.path.exists(os.path.join(folder, "masks", n))]
    if ids is not None:
        names = [n for n in names if n in ids]
    xs, ms = [], []
    for n in names:
        im = Image.open(os.path.join(folder, "images", n)).convert("RGB").resize((size, size), Image.BILINEAR)
        xs.append(torch.from_numpy(np.asarray(im, dtype=np.float32).copy()).permute(2, 0, 1))
        if masks:
            m = Image.open(os.path.join(folder, "masks", n)).resize((size, size), Image.NEAREST)
            ms.append(torch.from_numpy(np.asarray(m, dtype=np.int64).copy()))
    x = znorm(torch.stack(xs))
    return names, x, (torch.stack(ms) if masks else None)


def dice_per_class(pred, truth, classes):
    out = []
    for k in range(1, classes):
        p, t = pred == k, truth == k
        den = p.sum().item() + t.sum().item()
        out.append(1.0 if den == 0 else 2.0 * (p & t).sum().item() / den)
    return out


class Reference:
    """Two sub-models and their optimizers; step() runs one DAC iteration."""

    def __init__(self, args, classes=3, in_ch=3, data=None):
        kw = dict(backbone=args.backbone, width=args.width, in_ch=in_ch, classes=classes,
                  head=args.head_channels, rates=tuple(int(r) for r in args.aspp_rates.split(",")))
        self.a = SubModel(True, True, False, **kw)
        self.b = SubModel(True, False, True, **kw)
        self.bf16, self.cl = args.bf16, args.channels_last
        if self.cl:
            self.a = self.a.to(memory_format=torch.channels_last)
            self.b = self.b.to(memory_format=torch.channels_last)
        self.opt = [torch.optim.AdamW(m.parameters(), lr=3e-4, weight_decay=0.01) for m in (self.a, self.b)]
        self.bl, self.bu = args.batch, args.batch
        if data is not None:
            self.lab, self.lab_masks, self.unl = data
        else:  # synthetic images of the run's shape
            n, s = 16, args.size
            self.lab = torch.randn(n, in_ch, s, s)
            self.lab_masks = torch.randint(0, classes, (n, s, s))
            self.unl = torch.randn(n * 2, in_ch, s, s)

    def fmt(self, x):
        return x.contiguous(memory_format=torch.channels_last) if self.cl else x

    def parameters(self):
        return sum(p.numel() for p in self.a.net.parameters())

    def step(self, data_time):
        t0 = time.perf_counter()
        bl, bu = self.bl, self.bu
        li = torch.randint(0, self.lab.shape[0], (bl,))
        ui = torch.randint(0, self.unl.shape[0], (bu,))
        xl, yl = weak(self.lab[li], self.lab_masks[li])
        xl = strong(xl)
        uw, _ = weak(self.unl[ui])
        us = strong(uw)
        uw = znorm(uw)
        plan = mix_plan(bu, us.shape[2], us.shape[3])
        um = apply_mix(plan, us)
        target = apply_mix(plan, plan[1])
        data_time[0] += time.perf_counter() - t0
        models = (self.a, self.b)
        with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.bf16):
            pseudo = [apply_mix(plan, m.net(self.fmt(uw))[0].float().softmax(1).argmax(1)) for m in models]
        x = self.fmt(torch.cat([xl, um], 0))
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.bf16):
            outs = [m.net(x) for m in models]
        loss = 0
        for i, (m, (logits, feat)) in enumerate(zip(models, outs)):
            o = outs[1 - i]
            loss = loss + ce(logits[:bl], yl) + dice_loss(logits[:bl], yl) + ce(logits[bl:], pseudo[1 - i])
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.bf16):
                p = m.proj(feat[bl:])
                cm = m.cutmix(feat[bl:]) if m.cutmix is not None else None
            loss = loss + 0.1 * (1 - F.cosine_similarity(p.float(), o[1][bl:].detach().float(), dim=1)).mean()
            if cm is not None:
                mp = F.interpolate(cm.float(), size=target.shape[2:], mode="bilinear", align_corners=False)
                loss = loss + 0.2 * F.binary_cross_entropy_with_logits(mp, target)
            if m.rotation is not None:
                f = feat[bl:].float()
                pooled = torch.stack([f[j, :, y0 // 4:(y0 + s) // 4, x0 // 4:(x0 + s) // 4].mean((1, 2))
                                      for j, (y0, x0, s) in enumerate(plan[2])])
                loss = loss + 0.2 * F.cross_entropy(m.rotation(pooled), plan[3])
        for o in self.opt:
            o.zero_grad()
        loss.backward()
        for o in self.opt:
            o.step()
        return loss.item()

    def validate(self, x, y, classes):
        """Mean foreground Dice of each sub-model on (x, y), in eval mode, batches of 8."""
        res = []
        for m in (self.a, self.b):
            m.eval()
            with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.bf16):
                pred = torch.cat([m.net(self.fmt(x[i:i + 8]))[0].float().argmax(1) for i in range(0, x.shape[0], 8)])
            m.train()
            res.append(dice_per_class(pred, y, classes))
        return res

    def save_checkpoint(self, path):
        tmp = path + ".tmp"
        torch.save({"a": self.a.state_dict(), "b": self.b.state_dict(),
                    "opt": [o.state_dict() for o in self.opt]}, tmp)
        os.replace(tmp, path)


def conv_flops(prof):
    """Forward and backward FLOPs of the convolutions, from the profiler's recorded shapes: forward
    2*N*Cout*Hout*Wout*Cin/groups*kh*kw per conv2d (the profiler's own count; a 1x1 convolution
    called with scalar padding is not counted by it); backward twice that (gradient of the input
    and of the weight) per convolution_backward, from the shapes of grad_output and weight."""
    fwd = bwd = 0
    for e in prof.function_events:
        if e.name == "aten::conv2d":
            # under autocast the cast re-dispatch is recorded nested in the outer call: count once
            if not (e.cpu_parent is not None and e.cpu_parent.name == "aten::conv2d"):
                fwd += e.flops or 0
        elif e.name == "aten::convolution_backward" and e.input_shapes and len(e.input_shapes) >= 3:
            go, _, w = e.input_shapes[0], e.input_shapes[1], e.input_shapes[2]
            if len(go) == 4 and len(w) == 4:
                bwd += 2 * 2 * go[0] * go[1] * go[2] * go[3] * w[1] * w[2] * w[3]
    return fwd, bwd


def top_ops(prof, n):
    rows = sorted(prof.key_averages(), key=lambda e: -e.self_cpu_time_total)[:n]
    total = sum(e.self_cpu_time_total for e in prof.key_averages())
    return [dict(op=e.key, self_ms=e.self_cpu_time_total / 1000.0, share=e.self_cpu_time_total / max(1, total), calls=e.count)
            for e in rows]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--iters", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--width", type=float, default=1.0)
    ap.add_argument("--backbone", default="resnet18")
    ap.add_argument("--head-channels", type=int, default=0, help="ASPP/decoder channels (0 = 256 x width)")
    ap.add_argument("--aspp-rates", default="6,12,18")
    ap.add_argument("--batch", type=int, default=4, help="labeled and unlabeled images per iteration, each")
    ap.add_argument("--infer-size", type=int, default=512)
    ap.add_argument("--infer-iters", type=int, default=3)
    ap.add_argument("--bf16", action="store_true")
    ap.add_argument("--channels-last", action="store_true")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--profile", type=int, default=0, help="profile this many iterations (op table, FLOPs)")
    ap.add_argument("--labeled", help="real data: a domain folder with images/ and masks/")
    ap.add_argument("--labeled-count", type=int, default=20)
    ap.add_argument("--unlabeled", nargs="*", default=[])
    ap.add_argument("--val-interval", type=int, default=0, help="validate on held-out labeled cases every N iterations")
    ap.add_argument("--ckpt-interval", type=int, default=0, help="save a checkpoint every N iterations")
    ap.add_argument("--out", default="/tmp/dacw-reference-run")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    classes = 3
    data, val = None, None
    if args.labeled:
        names, _, _ = load_folder(args.labeled, 8, True)
        rng = np.random.default_rng(args.seed)
        chosen = set(rng.permutation(names)[:args.labeled_count].tolist())
        held = [n for n in names if n not in chosen][:16]
        _, xl, yl = load_folder(args.labeled, args.size, True, chosen)
        xu = torch.cat([load_folder(u, args.size, False)[1] for u in args.unlabeled])
        data = (xl, yl, xu)
        if args.val_interval > 0 and held:
            _, xv, yv = load_folder(args.labeled, args.size, True, set(held))
            val = (xv, yv)
        os.makedirs(args.out, exist_ok=True)
    ref = Reference(args, classes=classes, data=data)
    data_time = [0.0]
    for _ in range(args.warmup):
        ref.step(data_time)
    data_time = [0.0]
    times = []
    t0 = time.perf_counter()
    c0 = time.process_time()
    for it in range(1, args.iters + 1):
        ts = time.perf_counter()
        ref.step(data_time)
        if val is not None and (it % args.val_interval == 0 or it == args.iters):
            ref.validate(val[0], val[1], classes)
        if args.ckpt_interval > 0 and it % args.ckpt_interval == 0:
            ref.save_checkpoint(os.path.join(args.out, "checkpoint.pt"))
        times.append(time.perf_counter() - ts)
    wall = time.perf_counter() - t0
    cpu_time = (time.process_time() - c0) / args.iters
    res = dict(seconds_per_iteration=wall / args.iters, median_seconds_per_iteration=float(np.median(times)),
               images_per_second=2 * args.batch * args.iters / wall, cpu_seconds_per_iteration=cpu_time,
               data_fraction=data_time[0] / wall, parameters=ref.parameters(), threads=args.threads, size=args.size)
    if args.profile > 0:
        with torch.autograd.profiler.profile(use_kineto=False, with_flops=True, record_shapes=True) as prof:
            for _ in range(args.profile):
                ref.step([0.0])
        fwd, bwd = conv_flops(prof)
        res.update(forward_gflops_per_iteration=fwd / args.profile / 1e9, backward_gflops_per_iteration=bwd / args.profile / 1e9,
                   top_ops=top_ops(prof, 15))
    infer = None
    if args.infer_size > 0:
        net = ref.a.net.eval()
        x = ref.fmt(torch.randn(1, 3, args.infer_size, args.infer_size))
        with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.bf16):
            net(x)
            t1 = time.perf_counter()
            for _ in range(args.infer_iters):
                net(x)[0].softmax(1)
            infer = (time.perf_counter() - t1) / args.infer_iters
    res["inference_seconds"] = infer
    res["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    if args.json:
        print(json.dumps(res))
    else:
        print(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
