"""The multi-scale context path of ``GatedPixelCNN`` (``context_scales > 0``): a view of every row above a pixel.

The gated stack's vertical reach grows by ``kernel_size // 2`` rows per layer, so 8 layers of 3x3 filters see 8
rows up. The context path is a small U-Net over the image shifted down one row, built from *vertically causal*
convolutions only (``CausalConv``: output row r reads input rows <= r), with stride-2 down-sampling and
nearest up-sampling (row r reads low-resolution row r // 2, which reads rows <= r). Its output map has row r
depend on image rows < r, all columns, and enters every gated layer as a per-position bias (like location-dependent
conditioning, Eq. 5 of the paper): both stacks at row r may read rows < r.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from pixelcnn.nn.gated_block import layer_biases, plus
from pixelcnn.nn.layers import shift_down


class CausalConv(nn.Module):
    """A k x k conv whose output row r reads input rows r-k+1 .. r only: k-1 rows of zero padding on top, none
    below, k//2 columns on each side. ``stride=2`` halves rows and columns (ceil): output row r reads rows <= 2r."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3, stride: int = 1) -> None:
        super().__init__()
        self.padding = (kernel_size // 2, kernel_size // 2, kernel_size - 1, 0)
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B,in,H,W) -> (B,out,H,W), or (B,out,ceil(H/2),ceil(W/2)) with stride 2."""
        return self.conv(F.pad(x, self.padding))


def upsample_to(x: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """Nearest up-sampling of (B,F,h,w) to like's (H,W), h = ceil(H/2): row r takes row r // 2 (so stays causal)."""
    return F.interpolate(x, scale_factor=2.0, mode="nearest")[:, :, : like.shape[2], : like.shape[3]]


class CausalContext(nn.Module):
    """Image (B,C,H,W) in [-1, 1] -> per-layer biases (B, cond_channels, H, W), row r from image rows < r only.

    ``scales`` stride-2 down-samplings of ``channels`` features, each followed by a residual causal 3x3; on the way
    up, nearest up-sampling plus the features of the same scale (a U-Net skip), then a causal 3x3. One unmasked 1x1
    (``to_biases``, zero initialised: an untrained path adds nothing) maps the features to the bias of every
    ``every``-th layer from the first (``layers``; the others get None); the model's last layer gets its horizontal
    half only (``layer_biases``). Most of the path's cost is that 1x1 and the biases it writes at full resolution,
    so ``every`` > 1 makes it cheaper; the stacks carry what a layer gets to the layers above it.
    """

    def __init__(
        self, image_channels: int, channels: int, scales: int, num_layers: int, cond_channels: int, every: int = 1
    ) -> None:
        super().__init__()
        self.num_layers, self.cond_channels = num_layers, cond_channels
        self.layers = list(range(0, num_layers, every))
        self.stem = CausalConv(image_channels, channels)
        self.down = nn.ModuleList(CausalConv(channels, channels, stride=2) for _ in range(scales))
        self.mid = nn.ModuleList(CausalConv(channels, channels) for _ in range(scales))
        self.up = nn.ModuleList(CausalConv(channels, channels) for _ in range(scales))
        self.to_biases = nn.Conv2d(channels, len(self.layers) * cond_channels, 1)
        nn.init.zeros_(self.to_biases.weight)
        nn.init.zeros_(self.to_biases.bias)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Image (B,C,H,W) float -> features (B,F,H,W) whose row r reads image rows < r (all columns)."""
        h = F.elu(self.stem(shift_down(x)))
        skips = []
        for down, mid in zip(self.down, self.mid, strict=True):
            skips.append(h)
            h = F.elu(down(h))
            h = h + F.elu(mid(h))
        for up, skip in zip(reversed(self.up), reversed(skips), strict=True):
            h = F.elu(up(upsample_to(h, skip) + skip))
        return h

    def biases(self, features: torch.Tensor) -> list[torch.Tensor | None]:
        """Features (B,F,h,W) -> ``num_layers`` biases (B, cond_channels, h, W) or None (the layers not in
        ``layers``); the model's last layer's (B, cond_channels/2, h, W)."""
        conv, count = self.to_biases, len(self.layers)

        def project(rows: slice) -> torch.Tensor:
            return F.conv2d(features, conv.weight[rows], conv.bias[rows])

        if self.layers[-1] == self.num_layers - 1:
            fed = layer_biases(project, count, self.cond_channels)
        else:
            fed = list(project(slice(None)).split(self.cond_channels, dim=1))
        biases: list[torch.Tensor | None] = [None] * self.num_layers
        for layer, bias in zip(self.layers, fed, strict=True):
            biases[layer] = bias
        return biases

    def forward(self, x: torch.Tensor) -> list[torch.Tensor | None]:
        """Image (B,C,H,W) float -> the per-layer biases of every row."""
        return self.biases(self.features(x))

    def rows(self, x: torch.Tensor, i: int) -> list[torch.Tensor | None]:
        """The biases of rows i-1 and i (B, cond_channels|/2, 2, W) (or None) from image rows < i of x (B,C,>=i,W)
        float, for generation: a pass over rows 0..i only (row i of x is not read; for i = 0 row -1 is zeros)."""
        features = self.features(x[:, :, : i + 1])
        top = features[:, :, max(0, i - 1) : i + 1]
        return self.biases(F.pad(top, (0, 0, 2 - top.shape[2], 0)))


def add_biases(cond: list[torch.Tensor] | None, extra: list[torch.Tensor | None]) -> list[torch.Tensor | None]:
    """Per-layer biases ``cond`` (or None) plus ``extra`` (the context's, None for a layer it skips); both give the
    last layer its horizontal half only, the one shape ``bias_halves`` takes."""
    if cond is None:
        return extra
    return [plus(c, e) for c, e in zip(cond, extra, strict=True)]
