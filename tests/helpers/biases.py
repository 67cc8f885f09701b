"""Random per-layer conditioning biases shaped as the conditioners give them, for a backbone without a conditioner."""

from __future__ import annotations

import torch

from pixelcnn.nn import GatedPixelCNN


def layer_biases(
    backbone: GatedPixelCNN, n: int, size: tuple[int, int], generator: torch.Generator | None = None
) -> list[torch.Tensor]:
    """One bias (n, 4*hidden, *size) per layer, ``size`` (1|H, 1|W); the last layer's is its horizontal half
    (n, 2*hidden, *size), the only part of it the backbone reads."""
    widths = [backbone.cond_channels] * (backbone.num_layers - 1) + [backbone.cond_channels // 2]
    return [torch.randn(n, width, *size, generator=generator) for width in widths]
