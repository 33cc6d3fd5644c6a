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
import resource
import time

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
    def __init__(self, inp, out, dropout):
        super().__init__()
        self.b0, self.b1, self.b2, self.b3 = cbr(inp, out, 1), cbr(inp, out, 3, 6), cbr(inp, out, 3, 12), cbr(inp, out, 3, 18)
        self.pool = nn.Sequential(conv(inp, out, 1, bias=True), nn.ReLU(inplace=True))
        self.project = cbr(5 * out, out, 1)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        h, w = x.shape[2:]
        p = self.pool(x.mean((2, 3), keepdim=True)).expand(-1, -1, h, w)
        return self.dropout(self.project(torch.cat([self.b0(x), self.b1(x), self.b2(x), self.b3(x), p], 1)))


class DeepLabV3Plus(nn.Module):
    def __init__(self, backbone="resnet18", width=1.0, in_ch=3, classes=3, dropout=0.1):
        super().__init__()
        self.encoder = Encoder(backbone, width, in_ch)
        d = scaled(256, width)
        lp = scaled(48, width)
        self.feature_channels = d
        self.aspp = ASPP(self.encoder.high_channels, d, dropout)
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
        s = 0.85 + 0.4 * u[i, 4]
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


class Reference:
    """Two sub-models and their optimizers; step() runs one DAC iteration."""

    def __init__(self, args, classes=3, in_ch=3):
        kw = dict(backbone=args.backbone, width=args.width, in_ch=in_ch, classes=classes)
        self.a = SubModel(True, True, False, **kw)
        self.b = SubModel(True, False, True, **kw)
        self.bf16, self.cl = args.bf16, args.channels_last
        if self.cl:
            self.a = self.a.to(memory_format=torch.channels_last)
            self.b = self.b.to(memory_format=torch.channels_last)
        self.opt = [torch.optim.AdamW(m.parameters(), lr=3e-4, weight_decay=0.01) for m in (self.a, self.b)]
        n = 16
        s = args.size
        self.lab = torch.randn(n, in_ch, s, s)
        self.lab_masks = torch.randint(0, classes, (n, s, s))
        self.unl = torch.randn(n * 2, in_ch, s, s)

    def fmt(self, x):
        return x.contiguous(memory_format=torch.channels_last) if self.cl else x

    def step(self, data_time):
        t0 = time.perf_counter()
        li = torch.randint(0, self.lab.shape[0], (4,))
        ui = torch.randint(0, self.unl.shape[0], (4,))
        xl, yl = weak(self.lab[li], self.lab_masks[li])
        xl = strong(xl)
        uw, _ = weak(self.unl[ui])
        us = strong(uw)
        uw = znorm(uw)
        plan = mix_plan(4, us.shape[2], us.shape[3])
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
            loss = loss + ce(logits[:4], yl) + dice_loss(logits[:4], yl) + ce(logits[4:], pseudo[1 - i])
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.bf16):
                p = m.proj(feat[4:])
                cm = m.cutmix(feat[4:]) if m.cutmix is not None else None
            loss = loss + 0.1 * (1 - F.cosine_similarity(p.float(), o[1][4:].detach().float(), dim=1)).mean()
            if cm is not None:
                mp = F.interpolate(cm.float(), size=target.shape[2:], mode="bilinear", align_corners=False)
                loss = loss + 0.2 * F.binary_cross_entropy_with_logits(mp, target)
            if m.rotation is not None:
                f = feat[4:].float()
                pooled = torch.stack([f[j, :, y0 // 4:(y0 + s) // 4, x0 // 4:(x0 + s) // 4].mean((1, 2))
                                      for j, (y0, x0, s) in enumerate(plan[2])])
                loss = loss + 0.2 * F.cross_entropy(m.rotation(pooled), plan[3])
        for o in self.opt:
            o.zero_grad()
        loss.backward()
        for o in self.opt:
            o.step()
        return loss.item()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--iters", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--width", type=float, default=1.0)
    ap.add_argument("--backbone", default="resnet18")
    ap.add_argument("--infer-size", type=int, default=512)
    ap.add_argument("--infer-iters", type=int, default=3)
    ap.add_argument("--bf16", action="store_true")
    ap.add_argument("--channels-last", action="store_true")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    ref = Reference(args)
    data = [0.0]
    for _ in range(args.warmup):
        ref.step(data)
    data = [0.0]
    t0 = time.perf_counter()
    c0 = time.process_time()
    if args.profile:
        from torch.profiler import profile
        with profile() as prof:
            for _ in range(args.iters):
                ref.step(data)
        print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=25))
    else:
        for _ in range(args.iters):
            ref.step(data)
    it_time = (time.perf_counter() - t0) / args.iters
    cpu_time = (time.process_time() - c0) / args.iters
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
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    res = dict(seconds_per_iteration=it_time, cpu_seconds_per_iteration=cpu_time, data_fraction=data[0] / (it_time * args.iters),
               inference_seconds=infer, peak_rss_mb=rss, threads=args.threads, size=args.size)
    if args.json:
        print(json.dumps(res))
    else:
        print(res)


if __name__ == "__main__":
    main()
