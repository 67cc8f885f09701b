"""Pictures: sample grids saved as PNG, upscaled (nearest neighbour) so that they are readable at native size."""

from __future__ import annotations

import math
from pathlib import Path
from typing import NamedTuple

import torch
from torchvision.utils import make_grid, save_image

MIN_SIDE = 256  # pixels on the short side of a saved grid
MAX_SIDE = 4096  # ... unless that would make the long side longer than this
GAP = 2  # pixels between the images of a saved grid


class GridGeometry(NamedTuple):
    """How a grid of ``rows`` x ``cols`` images is saved: each image scaled by ``scale``, ``gap`` pixels apart."""

    scale: int
    gap: int
    width: int
    height: int


def grid_geometry(rows: int, cols: int, height: int, width: int, min_side: int = MIN_SIDE) -> GridGeometry:
    """The smallest integer scale that makes the grid's short side at least ``min_side`` pixels (the long side stays
    within ``MAX_SIDE`` where it can), for images of ``height`` x ``width``."""

    def size(scale: int) -> tuple[int, int]:
        return cols * (width * scale + GAP) + GAP, rows * (height * scale + GAP) + GAP

    scale = 1
    while min(size(scale)) < min_side and max(size(scale + 1)) <= MAX_SIDE:
        scale += 1
    return GridGeometry(scale, GAP, *size(scale))


def levels_to_unit(x: torch.Tensor, num_levels: int) -> torch.Tensor:
    """Levels (N,C,H,W) in [0,K) -> floats in [0,1]."""
    return x.float() / (num_levels - 1)


def image_grid(x: torch.Tensor, num_levels: int, nrow: int = 8, scale: int = 1, padding: int = 1) -> torch.Tensor:
    """Levels (N,C,H,W) -> one grid image (3,H',W') in [0,1]: each image repeated ``scale`` times along both axes
    (nearest neighbour), ``padding`` grey pixels apart. Notebooks show it as is (``imshow`` scales it)."""
    images = levels_to_unit(x.cpu(), num_levels)
    if scale > 1:
        images = images.repeat_interleave(scale, dim=-2).repeat_interleave(scale, dim=-1)
    if images.shape[0] == 1:  # make_grid leaves a single image without its border
        images = torch.cat([images, torch.full_like(images, 0.5)])
        return make_grid(images, nrow=2, padding=padding, pad_value=0.5)[:, :, : images.shape[-1] + 2 * padding]
    return make_grid(images, nrow=nrow, padding=padding, pad_value=0.5)


def save_grid(x: torch.Tensor, num_levels: int, path: str | Path, nrow: int = 8, min_side: int = MIN_SIDE) -> Path:
    """Save levels (N,C,H,W) as a PNG grid of ``nrow`` images per row, at least ``min_side`` pixels on its short
    side (``grid_geometry``); returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    cols = min(nrow, x.shape[0])
    geometry = grid_geometry(math.ceil(x.shape[0] / nrow), cols, x.shape[-2], x.shape[-1], min_side)
    save_image(image_grid(x, num_levels, nrow, geometry.scale, geometry.gap), path)
    return path
