"""Pictures: sample grids saved as PNG, upscaled (nearest neighbour) so that they are readable at native size, with
optional captions (``Captions``: row labels, column captions, a title)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import NamedTuple

import torch
from PIL import Image
from torchvision.utils import make_grid

from pixelcnn.figures.captions import Captions, caption

MIN_SIDE = 256  # pixels on the long side of a saved grid
MIN_PIXELS = 32  # pixels on the short side of every image of a saved grid
GAP = 2  # pixels between the images of a saved grid


class GridGeometry(NamedTuple):
    """How a grid of ``rows`` x ``cols`` images is saved: each image scaled by ``scale``, ``gap`` pixels apart."""

    scale: int
    gap: int
    width: int
    height: int


def grid_geometry(
    rows: int, cols: int, height: int, width: int, min_side: int = MIN_SIDE, min_pixels: int = MIN_PIXELS
) -> GridGeometry:
    """The smallest integer scale that makes every image of ``height`` x ``width`` at least ``min_pixels`` pixels on
    its short side, and the grid's long side at least ``min_side`` pixels. A large grid is never shrunk below
    ``min_pixels`` per image: it grows instead (a 16 x 16 grid of 8 x 8 digits is 546 x 546)."""

    def size(scale: int) -> tuple[int, int]:
        return cols * (width * scale + GAP) + GAP, rows * (height * scale + GAP) + GAP

    scale = max(1, math.ceil(min_pixels / min(height, width)))
    while max(size(scale)) < min_side:
        scale += 1
    return GridGeometry(scale, GAP, *size(scale))


class PageLayout(NamedTuple):
    """A saved figure: its grid (``grid``) at (``left``, ``top``) on a page of ``width`` x ``height`` pixels."""

    grid: GridGeometry
    left: int
    top: int
    width: int
    height: int


def page_layout(
    count: int, nrow: int, height: int, width: int, captions: Captions | None = None, min_side: int = MIN_SIDE
) -> PageLayout:
    """Where ``save_grid`` puts ``count`` images of ``height`` x ``width``, ``nrow`` per row, with ``captions``:
    at least ``MIN_PIXELS`` per image, wide enough for every column caption."""
    captions = captions or Captions()
    min_pixels = max(MIN_PIXELS, captions.min_cell())
    grid = grid_geometry(math.ceil(count / nrow), min(nrow, count), height, width, min_side, min_pixels)
    return PageLayout(grid, *captions.margins(), *captions.page_size(grid.width, grid.height))


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


def to_image(grid: torch.Tensor) -> Image.Image:
    """(3,H,W) floats in [0,1] -> an RGB image (rounded to the nearest of 256 levels)."""
    pixels = grid.mul(255).add(0.5).clamp(0, 255).to(torch.uint8).permute(1, 2, 0)
    return Image.fromarray(pixels.numpy())


def save_grid(
    x: torch.Tensor,
    num_levels: int,
    path: str | Path,
    nrow: int = 8,
    min_side: int = MIN_SIDE,
    captions: Captions | None = None,
) -> Path:
    """Save levels (N,C,H,W) as a PNG grid of ``nrow`` images per row with ``captions`` around it (``page_layout``:
    at least ``MIN_PIXELS`` per image, ``min_side`` on the grid's long side); returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    captions = captions or Captions()
    height, width = x.shape[-2:]
    geometry = page_layout(x.shape[0], nrow, height, width, captions, min_side).grid
    grid = to_image(image_grid(x, num_levels, nrow, geometry.scale, geometry.gap))
    pitch = (height * geometry.scale + geometry.gap, width * geometry.scale + geometry.gap)
    caption(grid, captions, pitch, geometry.gap).save(path)
    return path
