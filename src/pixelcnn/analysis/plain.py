"""The original single-stack PixelCNN (masked n x n convs), kept only as a contrast to the gated backbone.

Stacking masked 3x3 convs never reaches the pixels up and to the right of the current one beyond the first
diagonal (the "blind spot"): a path can move one row up per layer but then at most one column right. The
receptive-field notebook and ``tests/test_receptive_field.py`` show it; the models of this repo never use it.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from pixelcnn.nn.masks import center_mask, channel_groups
from pixelcnn.nn.scale import levels_to_signed


class MaskedConv2d(nn.Conv2d):
    """n x n conv seeing only pixels before the centre in raster order, and at the centre the channel groups
    of ``center_mask`` (mask A: earlier image channels only; mask B: also the same one). (B,in,H,W) -> (B,out,H,W).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, image_channels: int, mask_type: str):
        super().__init__(in_channels, out_channels, kernel_size, padding=kernel_size // 2)
        k = kernel_size // 2
        mask = torch.zeros_like(self.weight)
        mask[:, :, :k, :] = 1.0  # rows above
        mask[:, :, k, :k] = 1.0  # left of the centre in its row
        in_groups = channel_groups(in_channels, image_channels)
        out_groups = channel_groups(out_channels, image_channels)
        mask[:, :, k, k] = center_mask(out_groups, in_groups, mask_type)
        self.register_buffer("mask", mask, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.weight * self.mask, self.bias, padding=self.padding)


class PlainPixelCNN(nn.Module):
    """Masked conv (mask A) -> (num_layers - 1) x [ReLU, masked conv (mask B)] -> ReLU, masked 1x1 to logits.

    Input: levels (B,C,H,W) in [0,K) (long, or float when gradients w.r.t. the input are wanted);
    output: logits (B,K,C,H,W), like ``GatedPixelCNN``.
    """

    def __init__(
        self, image_channels: int, num_levels: int, num_layers: int = 4, hidden_channels: int = 16, kernel_size: int = 3
    ) -> None:
        super().__init__()
        self.image_channels = image_channels
        self.num_levels = num_levels
        layers = [MaskedConv2d(image_channels, hidden_channels, kernel_size, image_channels, "A")]
        for _ in range(num_layers - 1):
            layers += [nn.ReLU(), MaskedConv2d(hidden_channels, hidden_channels, kernel_size, image_channels, "B")]
        layers += [nn.ReLU(), MaskedConv2d(hidden_channels, image_channels * num_levels, 1, image_channels, "B")]
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.net(levels_to_signed(x, self.num_levels))
        b, _, height, width = out.shape
        return out.view(b, self.image_channels, self.num_levels, height, width).transpose(1, 2)
