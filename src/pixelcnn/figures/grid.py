"""Pictures: sample grids saved as PNG."""

from __future__ import annotations

from pathlib import Path

import torch
from torchvision.utils import make_grid, save_image


def levels_to_unit(x: torch.Tensor, num_levels: int) -> torch.Tensor:
    """Levels (N,C,H,W) in [0,K) -> floats in [0,1]."""
    return x.float() / (num_levels - 1)


def image_grid(x: torch.Tensor, num_levels: int, nrow: int = 8) -> torch.Tensor:
    """Levels (N,C,H,W) -> one grid image (3,H',W') in [0,1] with a 1-pixel border."""
    return make_grid(levels_to_unit(x.cpu(), num_levels), nrow=nrow, padding=1, pad_value=0.5)


def save_grid(x: torch.Tensor, num_levels: int, path: str | Path, nrow: int = 8) -> Path:
    """Save levels (N,C,H,W) as a PNG grid of ``nrow`` images per row; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_image(image_grid(x, num_levels, nrow), path)
    return path
