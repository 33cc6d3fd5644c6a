#!/usr/bin/env python3
"""Runs a DAC Workbench model (a run's model.pt) in plain PyTorch, and exports it to ONNX.

model.pt is a LibTorch archive: torch.jit.load opens it, but it holds only the weights and a
description of the network (kind, version, backbone, width, head channels, ASPP rates, channels,
classes, training size, method, sub-model, the exporter's JSON metadata), no forward. This module
rebuilds the same DeepLabv3+ as core/train/Networks.cpp, loads the weights by name (every
parameter and BatchNorm buffer, with matching shapes, nothing left over), and predicts like
`dacw predict` (core/pipeline/Predict.cpp, core/data/Preprocess.cpp): channels converted, the
image resized into its box of the training square with OpenCV's rules (INTER_AREA when
shrinking, INTER_LINEAR otherwise; the box keeps the aspect ratio on zero padding for models
with resize "letterbox", and is the whole square for "stretch"), z-scored per channel over the
box, the network in float32, softmax, the box of the class probabilities resized bilinearly to
the image's size, arg-max, and for fundus models the anatomy enforced (one filled disc, the cup
inside it).

Needs python3-torch and python3-numpy; python3-pil to read and write image files. Usage:

    import dacw_model
    m = dacw_model.load("runs/dac-1/model.pt")
    labels = m.predict(dacw_model.read_image("case.png"))   # HxW uint8 label values

    /usr/bin/python3 dacw_model.py info model.pt
    /usr/bin/python3 dacw_model.py predict model.pt image.png out.png [--probabilities out.npy]
    /usr/bin/python3 dacw_model.py export-onnx model.pt out.onnx [--size N] [--opset 13]

Exit codes of the command line: 0 done, 1 bad input (not a model, unreadable image), 2 usage.
"""
import argparse
import json
import math
import os
import sys
from collections import deque
from dataclasses import dataclass, field
from typing import List, Optional, Sequence

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

MODEL_KIND = "dacw-model"
# 1: no head description (head = 256 x width, ASPP rates 6/12/18); 2: "head" stores both;
# 3: "resize" says how images reach the square input (letterbox or stretch; before 3: stretch).
MAX_VERSION = 3
RESIZE_MODES = ("letterbox", "stretch")
BACKBONES = ("resnet18", "resnet34", "resnet50")

__all__ = ["ModelFormatError", "ModelInfo", "DacwModel", "DeepLabV3Plus", "load", "read_info",
           "read_image", "fit_box", "network_input", "labels_from_probabilities", "enforce_anatomy",
           "resize_like_opencv", "export_onnx"]


class ModelFormatError(Exception):
    """The file is missing, not a DAC Workbench model, from a newer version, or damaged."""


@dataclass
class ModelInfo:
    backbone: str = "resnet18"
    width: float = 1.0
    head_channels: int = 256
    aspp_rates: List[int] = field(default_factory=lambda: [6, 12, 18])
    in_channels: int = 3
    num_classes: int = 2
    size: int = 0  # training image side: images are resized to size x size
    resize: str = "stretch"  # letterbox: aspect kept, zero padding; stretch: squashed to the square
    iterations: int = 0
    method: str = ""
    sub_model: str = ""
    user_metadata: str = ""
    version: int = MAX_VERSION

    @property
    def metadata(self) -> dict:
        """The exporter's metadata as a dict ({} when it is not JSON)."""
        try:
            m = json.loads(self.user_metadata) if self.user_metadata else {}
            return m if isinstance(m, dict) else {}
        except ValueError:
            return {}

    @property
    def task(self) -> Optional[str]:
        t = self.metadata.get("task")
        return t if isinstance(t, str) else None

    @property
    def tta(self) -> str:
        """The run's test-time augmentation: "none", "flip" or "flip-scales" ("none" when the
        metadata does not say, as for models exported before the option)."""
        t = self.metadata.get("tta")
        return t if t in ("none", "flip", "flip-scales") else "none"


def scaled_channels(base: int, width: float) -> int:
    """core/train/Networks.cpp scaledChannels: base x width rounded to a multiple of 8 (>= 8)."""
    c = float(base) * width / 8.0
    return max(8, int(math.floor(c + 0.5)) * 8)  # std::lround: halves away from zero


# ---------------------------------------------------------------------------------------------
# The network (names as in core/train/Networks.cpp, which follows torchvision's ResNet)


def _conv(cin: int, cout: int, k: int, stride: int = 1, dilation: int = 1, bias: bool = False) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, k, stride=stride, padding=dilation * (k - 1) // 2, dilation=dilation, bias=bias)


def _bn(c: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(c, eps=1e-5, momentum=0.1)  # LibTorch's defaults, as the C++ uses


class Block(nn.Module):
    """torchvision's BasicBlock / Bottleneck; `first_dilation` for the 3x3 that may stride."""

    def __init__(self, bottleneck: bool, cin: int, planes: int, stride: int, dilation: int, first_dilation: int):
        super().__init__()
        self.bottleneck = bottleneck
        out = planes * 4 if bottleneck else planes
        if bottleneck:
            self.conv1 = _conv(cin, planes, 1)
            self.bn1 = _bn(planes)
            self.conv2 = _conv(planes, planes, 3, stride, first_dilation)
            self.bn2 = _bn(planes)
            self.conv3 = _conv(planes, out, 1)
            self.bn3 = _bn(out)
        else:
            self.conv1 = _conv(cin, planes, 3, stride, first_dilation)
            self.bn1 = _bn(planes)
            self.conv2 = _conv(planes, planes, 3, 1, dilation)
            self.bn2 = _bn(planes)
        self.downsample = nn.Sequential(_conv(cin, out, 1, stride), _bn(out)) if stride != 1 or cin != out else None

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        if self.bottleneck:
            y = F.relu(self.bn2(self.conv2(y)))
            y = self.bn3(self.conv3(y))
        else:
            y = self.bn2(self.conv2(y))
        identity = self.downsample(x) if self.downsample is not None else x
        return F.relu(y + identity)


class ResNetEncoder(nn.Module):
    """ResNet-18/34/50 at output stride 16: layer4 dilates (2) instead of striding."""

    def __init__(self, backbone: str, width: float, in_channels: int):
        super().__init__()
        if backbone not in BACKBONES:
            raise ModelFormatError(f"unknown backbone '{backbone}' (known: {', '.join(BACKBONES)})")
        bottleneck = backbone == "resnet50"
        blocks = [2, 2, 2, 2] if backbone == "resnet18" else [3, 4, 6, 3]
        self._in = scaled_channels(64, width)
        self._dilation = 1
        self._bottleneck = bottleneck
        self.conv1 = nn.Conv2d(in_channels, self._in, 7, stride=2, padding=3, bias=False)
        self.bn1 = _bn(self._in)
        self.layer1 = self._layer(scaled_channels(64, width), blocks[0], 1, False)
        self.low_channels = self._in
        self.layer2 = self._layer(scaled_channels(128, width), blocks[1], 2, False)
        self.layer3 = self._layer(scaled_channels(256, width), blocks[2], 2, False)
        self.layer4 = self._layer(scaled_channels(512, width), blocks[3], 2, True)
        self.high_channels = self._in

    def _layer(self, planes: int, blocks: int, stride: int, dilate: bool) -> nn.Sequential:
        previous = self._dilation
        if dilate:
            self._dilation *= stride
            stride = 1
        layers = [Block(self._bottleneck, self._in, planes, stride, self._dilation, previous)]
        self._in = planes * 4 if self._bottleneck else planes
        for _ in range(1, blocks):
            layers.append(Block(self._bottleneck, self._in, planes, 1, self._dilation, self._dilation))
        return nn.Sequential(*layers)

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = F.max_pool2d(y, 3, stride=2, padding=1)
        low = self.layer1(y)
        high = self.layer4(self.layer3(self.layer2(low)))
        return low, high


def _conv_bn_relu(cin: int, cout: int, k: int, dilation: int = 1) -> nn.Sequential:
    return nn.Sequential(_conv(cin, cout, k, 1, dilation), _bn(cout), nn.ReLU(inplace=True))


class Aspp(nn.Module):
    """1x1, three dilated 3x3 and image pooling (no BatchNorm after pooling), then a 1x1 projection.

    `atrous_shortcut`: a dilated branch whose dilation is at least the feature map's size reads
    only zero padding away from its centre tap, so the C++ runs it as the 1x1 convolution of the
    centre weights; the result is the same, so it may be switched off (ONNX export does, since
    the exported graph must be right for every input size)."""

    def __init__(self, cin: int, cout: int, rates: Sequence[int], atrous_shortcut: bool = True):
        super().__init__()
        self.rates = [int(r) for r in rates]
        self.atrous_shortcut = atrous_shortcut
        self.static_scales = False  # set by DeepLabV3Plus.for_export
        self.b0 = _conv_bn_relu(cin, cout, 1)
        self.b1 = _conv_bn_relu(cin, cout, 3, self.rates[0])
        self.b2 = _conv_bn_relu(cin, cout, 3, self.rates[1])
        self.b3 = _conv_bn_relu(cin, cout, 3, self.rates[2])
        self.pool = nn.Sequential(_conv(cin, cout, 1, bias=True), nn.ReLU(inplace=True))
        self.project = _conv_bn_relu(5 * cout, cout, 1)

    def _atrous(self, branch: nn.Sequential, dilation: int, x):
        if not self.atrous_shortcut or x.shape[2] > dilation or x.shape[3] > dilation:
            return branch(x)
        y = F.conv2d(x, branch[0].weight[:, :, 1:2, 1:2])
        return branch[2](branch[1](y))

    def forward(self, x):
        h, w = int(x.shape[2]), int(x.shape[3])
        if self.static_scales:
            # GlobalAveragePool: OpenCV 4.6 dies (SIGFPE) on the ReduceMean of mean() beyond batch 1.
            # The 1x1 map resized by constant factors is the C++ expand(), without shape arithmetic.
            pooled = self.pool(F.adaptive_avg_pool2d(x, 1))
            pooled = F.interpolate(pooled, scale_factor=(float(h), float(w)), mode="nearest")
        else:
            pooled = self.pool(x.mean((2, 3), keepdim=True)).expand(-1, -1, h, w)
        parts = [self.b0(x), self._atrous(self.b1, self.rates[0], x), self._atrous(self.b2, self.rates[1], x),
                 self._atrous(self.b3, self.rates[2], x), pooled]
        return self.project(torch.cat(parts, 1))


class DeepLabV3Plus(nn.Module):
    """core/train/Networks.cpp DeepLabV3PlusImpl in inference mode: forward(x) -> logits [N,K,H,W]."""

    def __init__(self, info: ModelInfo, atrous_shortcut: bool = True):
        super().__init__()
        self.encoder = ResNetEncoder(info.backbone, info.width, info.in_channels)
        head = info.head_channels
        low_proj = scaled_channels(48, info.width)
        self.aspp = Aspp(self.encoder.high_channels, head, info.aspp_rates, atrous_shortcut)
        self.low_project = _conv_bn_relu(self.encoder.low_channels, low_proj, 1)
        self.fuse = nn.Sequential(_conv(head + low_proj, head, 3), _bn(head), nn.ReLU(inplace=True),
                                  _conv(head, head, 3), _bn(head), nn.ReLU(inplace=True))
        self.classifier = _conv(head, info.num_classes, 1, bias=True)
        self.static_scales = False

    def for_export(self):
        """Exact-size, shape-free graph for ONNX: no atrous shortcut (right at every size) and
        resampling by constant integer factors (the input side must be a multiple of 16)."""
        self.aspp.atrous_shortcut = False
        self.aspp.static_scales = True
        self.static_scales = True
        return self

    def _resize(self, t, h: int, w: int):
        if not self.static_scales:
            return F.interpolate(t, size=(h, w), mode="bilinear", align_corners=False)
        th, tw = int(t.shape[2]), int(t.shape[3])
        if h % th or w % tw:
            raise ValueError(f"a {th}x{tw} map does not scale by an integer factor to {h}x{w}: "
                             "export at a side that is a multiple of 16")
        # With the factor exactly out/in, Resize's half-pixel sampling is that of the size form.
        return F.interpolate(t, scale_factor=(float(h // th), float(w // tw)), mode="bilinear", align_corners=False)

    def forward(self, x):
        low, high = self.encoder(x)
        high = self.aspp(high)
        low = self.low_project(low)
        high = self._resize(high, int(low.shape[2]), int(low.shape[3]))
        features = self.fuse(torch.cat([high, low], 1))
        logits = self.classifier(features)
        return self._resize(logits, int(x.shape[2]), int(x.shape[3]))


# ---------------------------------------------------------------------------------------------
# The file


def _string(archive, name: str, path: str) -> str:
    t = getattr(archive, name)
    if not isinstance(t, torch.Tensor) or t.dtype != torch.uint8 or t.dim() != 1:
        raise ModelFormatError(f"model '{path}': field '{name}' is not a string")
    raw = bytes(t.tolist())
    if not raw.endswith(b"\0") or raw.count(b"\0") != 1:
        raise ModelFormatError(f"model '{path}': field '{name}' is not a single string")
    return raw[:-1].decode("utf-8", errors="replace")


def _open(path: str):
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise ModelFormatError(f"no model file at '{path}'")
    try:
        return torch.jit.load(path, map_location="cpu")
    except Exception as e:  # torch raises RuntimeError and friends for foreign files
        first = str(e).strip().splitlines()[0][:200] if str(e).strip() else type(e).__name__
        raise ModelFormatError(f"'{path}' is not an exported DAC Workbench model (not a LibTorch archive: {first})") from None


def _info_of(archive, path: str) -> ModelInfo:
    try:
        kind = _string(archive, "dacw_kind", path)
    except (AttributeError, RuntimeError, ModelFormatError):
        kind = None
    if kind != MODEL_KIND:
        raise ModelFormatError(f"'{path}' is not an exported DAC Workbench model (no dacw_kind '{MODEL_KIND}')")
    try:
        version = int(archive.version.reshape(-1)[0])
        if version > MAX_VERSION:
            raise ModelFormatError(f"model '{path}' is format version {version}, written by a newer DAC Workbench; "
                                   f"this module reads versions 1 to {MAX_VERSION}")
        if version < 1:
            raise ModelFormatError(f"model '{path}' has an unknown format version {version}")
        info = ModelInfo(version=version)
        info.backbone = _string(archive, "backbone", path)
        if info.backbone not in BACKBONES:
            raise ModelFormatError(f"model '{path}' has an unknown backbone '{info.backbone}'")
        ints = archive.ints.reshape(-1).tolist()
        if len(ints) != 4:
            raise ModelFormatError(f"model '{path}' has a malformed header")
        info.in_channels, info.num_classes, info.size, info.iterations = (int(v) for v in ints)
        info.width = float(archive.width.reshape(-1)[0])
        info.head_channels = scaled_channels(256, info.width)
        if version >= 2:
            head = archive.head.reshape(-1).tolist()
            if len(head) != 4:
                raise ModelFormatError(f"model '{path}' has a malformed head description")
            info.head_channels = int(head[0])
            info.aspp_rates = [int(v) for v in head[1:]]
        if not (1 <= info.head_channels <= 4096) or info.in_channels < 1 or info.num_classes < 2 or info.size < 0:
            raise ModelFormatError(f"model '{path}' has a malformed header")
        if version >= 3:
            info.resize = _string(archive, "resize", path)
            if info.resize not in RESIZE_MODES:
                raise ModelFormatError(f"model '{path}' has an unknown resize mode '{info.resize}'")
        info.method = _string(archive, "method", path)
        info.sub_model = _string(archive, "sub_model", path)
        info.user_metadata = _string(archive, "user_metadata", path)
    except ModelFormatError:
        raise
    except (AttributeError, RuntimeError, ValueError, IndexError) as e:
        raise ModelFormatError(f"model '{path}' is incomplete or corrupt: {str(e).splitlines()[0][:200]}") from None
    return info


def read_info(path) -> ModelInfo:
    """The description of a model file (or of a run folder's model.pt), without building the network."""
    path = os.fspath(path)
    if os.path.isdir(path):
        path = os.path.join(path, "model.pt")
    return _info_of(_open(path), path)


def _load_weights(net: nn.Module, archive, path: str):
    """Every parameter and buffer of `net` from the archive's `network`, by name and shape; the
    file may hold nothing else."""
    try:
        src = archive.network
    except (AttributeError, RuntimeError):
        raise ModelFormatError(f"model '{path}' is incomplete or corrupt: no network weights") from None
    have = {n: t for n, t in src.named_parameters()}
    have.update({n: t for n, t in src.named_buffers()})
    want = net.state_dict()
    missing = [n for n in want if n not in have]
    extra = [n for n in have if n not in want]
    if missing or extra:
        what = []
        if missing:
            what.append(f"{len(missing)} missing (first: {missing[0]})")
        if extra:
            what.append(f"{len(extra)} unexpected (first: {extra[0]})")
        raise ModelFormatError(f"model '{path}': the weights do not match the network its header describes: "
                               + "; ".join(what))
    for n, t in want.items():
        if tuple(have[n].shape) != tuple(t.shape):
            raise ModelFormatError(f"model '{path}': {n} has shape {tuple(have[n].shape)}, the network needs {tuple(t.shape)}")
    net.load_state_dict({n: have[n].detach().clone() for n in want}, strict=True)


# ---------------------------------------------------------------------------------------------
# Images in, label maps out (core/data/Preprocess.cpp)


def _linear_matrix(src: int, dst: int, area_mode: bool) -> np.ndarray:
    """[dst, src] weights of OpenCV's 2-tap resize (INTER_LINEAR, or INTER_AREA when enlarging)."""
    m = np.zeros((dst, src), dtype=np.float64)
    inv_scale = dst / src
    scale = 1.0 / inv_scale
    for d in range(dst):
        if not area_mode:
            f = np.float32((d + 0.5) * scale - 0.5)
            s = int(math.floor(f))
            f = np.float32(f - np.float32(s))
        else:
            s = int(math.floor(d * scale))
            f = np.float32((d + 1) - (s + 1) * inv_scale)
            f = np.float32(0.0) if f <= 0 else np.float32(f - np.float32(math.floor(f)))
        if s < 0:
            f, s = np.float32(0.0), 0
        if s >= src - 1:
            f, s = np.float32(0.0), src - 1
        m[d, s] += float(np.float32(1.0) - f)
        if f != 0:
            m[d, s + 1] += float(f)
    return m


def _area_matrix(src: int, dst: int) -> np.ndarray:
    """[dst, src] weights of OpenCV's INTER_AREA when shrinking (computeResizeAreaTab)."""
    m = np.zeros((dst, src), dtype=np.float64)
    scale = src / dst
    for d in range(dst):
        f1 = d * scale
        f2 = f1 + scale
        cell = min(scale, src - f1)
        s1, s2 = int(math.ceil(f1)), int(math.floor(f2))
        s2 = min(s2, src - 1)
        s1 = min(s1, s2)
        if s1 - f1 > 1e-3:
            m[d, s1 - 1] += float(np.float32((s1 - f1) / cell))
        for s in range(s1, s2):
            m[d, s] += float(np.float32(1.0 / cell))
        if f2 - s2 > 1e-3:
            m[d, s2] += float(np.float32(min(min(f2 - s2, 1.0), cell) / cell))
    return m


def resize_like_opencv(planes: np.ndarray, out_w: int, out_h: int, area: bool) -> np.ndarray:
    """cv::resize of float planes [C,H,W] to [C,out_h,out_w] with INTER_AREA (`area`) or
    INTER_LINEAR, as separable weight matrices (OpenCV's weights; sums in float64, so results
    differ from OpenCV's float32 sums by rounding only)."""
    c, h, w = planes.shape
    if (h, w) == (out_h, out_w):
        return planes.astype(np.float32, copy=True)
    if area and w >= out_w and h >= out_h:
        ry, rx = _area_matrix(h, out_h), _area_matrix(w, out_w)
    else:
        ry, rx = _linear_matrix(h, out_h, area), _linear_matrix(w, out_w, area)
    p = planes.astype(np.float64)
    return np.einsum("yh,chw,xw->cyx", ry, p, rx, optimize=True).astype(np.float32)


def read_image(path) -> np.ndarray:
    """An image file as float32 [H,W] (gray) or [H,W,C] (C = 3 or 4), through PIL."""
    try:
        from PIL import Image
    except ImportError:
        raise RuntimeError("reading image files needs PIL (Debian: python3-pil); pass a numpy array instead") from None
    try:
        with Image.open(os.fspath(path)) as im:
            im.load()
            if im.mode == "P":
                im = im.convert("RGBA" if "transparency" in im.info else "RGB")
            elif im.mode in ("1", "CMYK", "YCbCr", "LAB", "HSV"):
                im = im.convert("L" if im.mode == "1" else "RGB")
            a = np.asarray(im)
    except (OSError, ValueError) as e:
        raise ValueError(f"cannot read image '{path}': {e}") from None
    return a.astype(np.float32)


def _slice_planes(image: np.ndarray, channels: int) -> np.ndarray:
    """Preprocess.cpp sliceMat: [channels,H,W] float32; gray from colour by 0.299/0.587/0.114,
    colour from gray by copying, alpha dropped."""
    a = np.asarray(image, dtype=np.float32)
    if a.ndim == 2:
        a = a[:, :, None]
    if a.ndim != 3 or not 1 <= a.shape[2] <= 4 or a.shape[0] < 1 or a.shape[1] < 1:
        raise ValueError(f"an image is [H,W] or [H,W,C] with C = 1..4, got shape {tuple(np.shape(image))}")
    c = a.shape[2]
    if channels == 1:
        if c >= 3:
            g = np.float32(0.299) * a[:, :, 0] + np.float32(0.587) * a[:, :, 1]
            g = g + np.float32(0.114) * a[:, :, 2]
        else:
            g = a[:, :, 0]
        return g[None].astype(np.float32)
    if channels == 3:
        return np.stack([a[:, :, k] if c >= 3 else a[:, :, 0] for k in range(3)]).astype(np.float32)
    raise ValueError(f"networks take 1 or 3 channels, not {channels}")


def fit_box(width: int, height: int, size: int, resize: str):
    """Preprocess.cpp fitBox: where a width x height image lies in the size x size network input,
    as (x, y, w, h). letterbox: the longer side fills the square, the other is rounded half up and
    centred (offsets rounded down); stretch: the whole square."""
    if resize not in RESIZE_MODES:
        raise ValueError(f"resize must be one of {RESIZE_MODES}, not {resize!r}")
    if resize == "stretch" or width == height:
        return 0, 0, size, size
    m = max(width, height)
    w = max(1, (2 * width * size + m) // (2 * m))
    h = max(1, (2 * height * size + m) // (2 * m))
    return (size - w) // 2, (size - h) // 2, w, h


def network_input(image: np.ndarray, channels: int, size: int, resize: str) -> np.ndarray:
    """Preprocess.cpp networkInput: [channels,size,size] float32. The image is resized into its
    fit_box (INTER_AREA when either side shrinks, else INTER_LINEAR), z-scored per channel over
    that box (sd floored at 1e-6), and the rest of the square is 0."""
    planes = _slice_planes(image, channels)
    h, w = planes.shape[1:]
    x0, y0, bw, bh = fit_box(w, h, size, resize)
    r = resize_like_opencv(planes, bw, bh, area=w > bw or h > bh)
    v = r.astype(np.float64)
    mean = v.mean(axis=(1, 2), keepdims=True)
    sq = (v * v).mean(axis=(1, 2), keepdims=True)
    sd = np.sqrt(np.maximum(sq - mean * mean, 0.0))
    out = np.zeros((planes.shape[0], size, size), dtype=np.float32)
    out[:, y0:y0 + bh, x0:x0 + bw] = ((v - mean) * (1.0 / np.maximum(sd, 1e-6))).astype(np.float32)
    return out


def labels_from_probabilities(probs: np.ndarray, width: int, height: int, resize: str) -> np.ndarray:
    """Preprocess.cpp labelsFromProbabilities for one slice: the fit_box of probabilities
    [K,size,size] resized with INTER_LINEAR to the image, then the first class of largest
    probability -> [H,W] uint8."""
    probs = np.asarray(probs, dtype=np.float32)
    x0, y0, bw, bh = fit_box(width, height, probs.shape[-1], resize)
    up = resize_like_opencv(np.ascontiguousarray(probs[:, y0:y0 + bh, x0:x0 + bw]), width, height, area=False)
    return up.argmax(axis=0).astype(np.uint8)


# Built-in tasks' anatomy regions (core/dataset/Task.cpp): only fundus has a disc and a cup.
_TASK_REGIONS = {"fundus": {"disc": (1, 2), "cup": (2,)}, "polyp": {}, "scgm": {}}


def _components(mask: np.ndarray):
    """4-connected components in raster order of their first pixel: (labels, sizes with [0] unused)."""
    h, w = mask.shape
    flat = mask.reshape(-1)
    label = np.zeros(h * w, dtype=np.int32)
    sizes = [0]
    for start in np.flatnonzero(flat):
        if label[start]:
            continue
        cid = len(sizes)
        label[start] = cid
        n = 0
        q = deque([int(start)])
        while q:
            j = q.pop()
            n += 1
            y, x = divmod(j, w)
            for k, ok in ((j - 1, x > 0), (j + 1, x + 1 < w), (j - w, y > 0), (j + w, y + 1 < h)):
                if ok and flat[k] and not label[k]:
                    label[k] = cid
                    q.append(k)
        sizes.append(n)
    return label.reshape(h, w), sizes


def _largest_filled(mask: np.ndarray) -> np.ndarray:
    label, sizes = _components(mask)
    if len(sizes) < 2:
        return np.zeros_like(mask, dtype=bool)
    best = 1 + int(np.argmax(sizes[1:]))
    out = label == best
    bl, _ = _components(~out)
    border = np.unique(np.concatenate([bl[0], bl[-1], bl[:, 0], bl[:, -1]]))
    holes = ~out & ~np.isin(bl, border)
    return out | holes


def enforce_anatomy(labels: np.ndarray, task: Optional[str]) -> np.ndarray:
    """Metrics.cpp enforceAnatomy: for a task with a disc and a cup (fundus), keep the largest disc
    component with its holes filled, the largest cup component inside it (filled), rim = disc
    without cup; other tasks unchanged."""
    regions = _TASK_REGIONS.get(task or "", {})
    if "disc" not in regions or "cup" not in regions:
        return labels
    disc_values, cup_value = regions["disc"], regions["cup"][0]
    rim = [v for v in disc_values if v != cup_value][-1]
    d = _largest_filled(np.isin(labels, disc_values))
    k = _largest_filled(np.isin(labels, (cup_value,)) & d)
    out = np.zeros_like(labels)
    out[d] = rim
    out[k & d] = cup_value
    return out


# ---------------------------------------------------------------------------------------------
# The model


class DacwModel:
    """A loaded model.pt: `info`, the network `net` (eval mode, float32 on the CPU) and the
    product's prediction."""

    def __init__(self, path):
        path = os.fspath(path)
        archive = _open(path)
        self.path = path
        self.info = _info_of(archive, path)
        self.net = DeepLabV3Plus(self.info)
        _load_weights(self.net, archive, path)
        self.net.eval()

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """Network logits [N,K,H,W] float32 for normalised inputs [N,C,H,W]."""
        if x.dim() != 4 or x.shape[1] != self.info.in_channels:
            raise ValueError(f"the network expects [N,{self.info.in_channels},H,W], got {list(x.shape)}")
        with torch.inference_mode():
            return self.net(x.to(torch.float32)).float()

    def _augmented(self, x: torch.Tensor, tta: str) -> torch.Tensor:
        """Predictor's test-time augmentation: probabilities of mirrored (and, for flip-scales,
        0.75x / 1.25x resized) copies, each mapped back, averaged."""
        if tta == "none":
            return torch.softmax(self.logits(x), 1)
        h, w = x.shape[2], x.shape[3]
        total, passes = None, 0
        for s in ((0.75, 1.0, 1.25) if tta == "flip-scales" else (1.0,)):
            hs = max(16, int(math.floor(h * s / 16.0 + 0.5)) * 16)
            ws = max(16, int(math.floor(w * s / 16.0 + 0.5)) * 16)
            resized = (hs, ws) != (h, w)
            xs = F.interpolate(x, size=(hs, ws), mode="bilinear", align_corners=False) if resized else x
            for mirrored in (False, True):
                p = torch.softmax(self.logits(xs.flip(3) if mirrored else xs), 1)
                if mirrored:
                    p = p.flip(3)
                if resized:
                    p = F.interpolate(p, size=(h, w), mode="bilinear", align_corners=False)
                total = p if total is None else total + p
                passes += 1
        return total / passes

    def probabilities(self, x: torch.Tensor, batch: int = 4, tta: Optional[str] = None) -> torch.Tensor:
        """Predictor::predict: softmax over classes [N,K,H,W] for inputs [N,C,H,W], in chunks, with
        the run's test-time augmentation (`info.tta`) unless `tta` says otherwise."""
        mode = self.info.tta if tta is None else tta
        if mode not in ("none", "flip", "flip-scales"):
            raise ValueError(f"unknown test-time augmentation '{mode}' (none, flip or flip-scales)")
        with torch.inference_mode():
            out = [self._augmented(x[i:i + batch], mode) for i in range(0, x.shape[0], max(1, batch))]
        return torch.cat(out, 0)

    def network_input(self, image: np.ndarray) -> np.ndarray:
        if self.info.size < 1:
            raise ValueError(f"model '{self.path}' does not record its training size")
        return network_input(image, self.info.in_channels, self.info.size, self.info.resize)

    def predict(self, image: np.ndarray, task: Optional[str] = None, return_probabilities: bool = False):
        """The label map [H,W] uint8 of a 2-D image ([H,W] or [H,W,C]), as `dacw predict` writes it.
        `task` (fundus|polyp|scgm) overrides the model's own for post-processing; "" skips it.
        With `return_probabilities`: (labels, probabilities [K,size,size] at the network size)."""
        h, w = np.shape(image)[:2]
        x = torch.from_numpy(self.network_input(image))[None]
        probs = self.probabilities(x)[0].numpy()
        labels = labels_from_probabilities(probs, w, h, self.info.resize)
        labels = enforce_anatomy(labels, self.info.task if task is None else task)
        return (labels, probs) if return_probabilities else labels


def load(path) -> DacwModel:
    """Loads a run's model.pt (or the run folder holding it). Raises ModelFormatError."""
    path = os.fspath(path)
    if os.path.isdir(path):
        path = os.path.join(path, "model.pt")
    return DacwModel(path)


# ---------------------------------------------------------------------------------------------
# ONNX


class _OnnxWrapper(nn.Module):
    """What the ONNX graph computes: softmax probabilities, or logits."""

    def __init__(self, net: DeepLabV3Plus, probabilities: bool):
        super().__init__()
        self.net = net
        self.probabilities = probabilities

    def forward(self, x):
        y = self.net(x)
        return torch.softmax(y, 1) if self.probabilities else y


def export_onnx(model: DacwModel, out_path, size: Optional[int] = None, opset: int = 13, dynamic_batch: bool = True,
                probabilities: bool = True) -> int:
    """Writes the network as ONNX: input "image" [N,C,size,size] (normalised like network_input),
    output "probabilities" (softmax) or "logits" [N,K,size,size]. The spatial size is fixed (the
    training size by default, a multiple of 16), so that every resampling is a Resize by constant
    integer factors and the graph has no shape arithmetic (Shape/Slice/Concat) for a runtime to
    get wrong; the batch is dynamic unless `dynamic_batch` is false. Returns the size used.
    The graph is the plain network: the run's test-time augmentation (`info.tta`, e.g. flip) is
    not part of it; average with the mirrored input's (mirrored back) output to match it."""
    size = int(size or model.info.size)
    if size < 32 or size % 16:
        raise ValueError(f"the ONNX side must be a multiple of 16, at least 32 (as for training), not {size}")
    net = DeepLabV3Plus(model.info)
    net.load_state_dict(model.net.state_dict(), strict=True)
    net.for_export().eval()
    wrapper = _OnnxWrapper(net, probabilities).eval()
    x = torch.zeros(1, model.info.in_channels, size, size)
    out_name = "probabilities" if probabilities else "logits"
    dyn = {"image": {0: "batch"}, out_name: {0: "batch"}} if dynamic_batch else None
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tracer's notes on sizes turned into constants
        torch.onnx.export(wrapper, x, os.fspath(out_path), input_names=["image"], output_names=[out_name],
                          dynamic_axes=dyn, opset_version=opset, do_constant_folding=True)
    return size


# ---------------------------------------------------------------------------------------------
# Command line


def _write_labels(labels: np.ndarray, path: str):
    from PIL import Image
    Image.fromarray(labels.astype(np.uint8), mode="L").save(path)


def _main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="dacw_model.py", description="Run or export a DAC Workbench model.pt in PyTorch.")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("info", help="print the model's description")
    s.add_argument("model")
    s = sub.add_parser("predict", help="label map of a 2-D image, as dacw predict writes it")
    s.add_argument("model")
    s.add_argument("image")
    s.add_argument("out", help="label map (PNG: label values 0..K-1)")
    s.add_argument("--task", help="post-processing task (fundus|polyp|scgm); default: the model's")
    s.add_argument("--probabilities", metavar="FILE.npy", help="also write the class probabilities [K,size,size]")
    s.add_argument("--threads", type=int, default=0, help="torch threads (default: torch's choice)")
    s = sub.add_parser("export-onnx", help="write the network as ONNX (fixed size, dynamic batch)")
    s.add_argument("model")
    s.add_argument("out")
    s.add_argument("--size", type=int, default=0, help="input side (default: the training size)")
    s.add_argument("--opset", type=int, default=13)
    s.add_argument("--logits", action="store_true", help="output logits instead of softmax probabilities")
    s.add_argument("--static-batch", action="store_true", help="batch fixed at 1")
    a = p.parse_args(argv)
    try:
        if a.command == "info":
            info = read_info(a.model)
            for k, v in info.__dict__.items():
                print(f"{k}: {v}")
            return 0
        m = load(a.model)
        if a.command == "predict":
            if a.task is not None and a.task not in _TASK_REGIONS:
                print(f"dacw_model.py: unknown task '{a.task}' (known: {', '.join(_TASK_REGIONS)})", file=sys.stderr)
                return 2
            if a.threads > 0:
                torch.set_num_threads(a.threads)
            labels, probs = m.predict(read_image(a.image), task=a.task, return_probabilities=True)
            _write_labels(labels, a.out)
            if a.probabilities:
                np.save(a.probabilities, probs)
            print(f"wrote {a.out} ({labels.shape[1]}x{labels.shape[0]}, labels {sorted(set(np.unique(labels).tolist()))})")
            return 0
        size = export_onnx(m, a.out, a.size or None, a.opset, not a.static_batch, not a.logits)
        print(f"wrote {a.out}: input image [{'1' if a.static_batch else 'N'},{m.info.in_channels},{size},{size}] "
              f"(z-scored per image and channel), output {'logits' if a.logits else 'probabilities'} "
              f"[N,{m.info.num_classes},{size},{size}], opset {a.opset}")
        if m.info.tta != "none":
            print(f"note: the run predicts with test-time augmentation '{m.info.tta}', which the graph does not "
                  f"include (for flip: average the outputs of the image and of its mirror image, mirrored back)")
        return 0
    except ModelFormatError as e:
        print(f"dacw_model.py: {e}", file=sys.stderr)
        return 1
    except (ValueError, OSError) as e:
        print(f"dacw_model.py: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(_main())
