"""Saved grids are readable at native size: nearest-neighbour upscaled to >= 32 px per image and >= 256 px on the long
side, 2 px gaps."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from pixelcnn.figures import grid_geometry, image_grid, save_grid


@pytest.mark.parametrize(("n", "nrow", "shape"), [(16, 4, (1, 8, 8)), (1, 8, (1, 8, 8)), (10, 5, (3, 32, 32))])
def test_saved_grid_is_upscaled_to_at_least_256_px_and_32_px_per_image_with_a_two_pixel_gap(
    tmp_path: Path, n, nrow, shape
) -> None:
    torch.manual_seed(0)
    x = torch.randint(0, 17, (n, *shape))
    path = save_grid(x, 17, tmp_path / "grid.png", nrow=nrow)
    width, height = Image.open(path).size
    rows, cols = -(-n // nrow), min(n, nrow)
    scale = grid_geometry(rows, cols, shape[1], shape[2]).scale
    assert max(width, height) >= 256 and shape[1] * scale >= 32
    assert scale > 1 and (width, height) == (cols * (shape[2] * scale + 2) + 2, rows * (shape[1] * scale + 2) + 2)

    pixels = np.asarray(Image.open(path).convert("RGB")).astype(int)
    step = shape[1] * scale + 2
    assert (pixels[:2] == 128).all() and (pixels[:, :2] == 128).all()  # the grey gap above and left of the images
    assert all((pixels[r * step : r * step + 2] == 128).all() for r in range(rows))
    # nearest neighbour: every image pixel is a scale x scale block of one colour, equal to its level
    first = pixels[2 : 2 + shape[1] * scale, 2 : 2 + shape[2] * scale]
    blocks = first.reshape(shape[1], scale, shape[2], scale, 3)
    assert (blocks == blocks[:, :1, :, :1]).all()
    expected = (x[0].float() / 16 * 255 + 0.5).clamp(0, 255).long().expand(3, -1, -1).permute(1, 2, 0).numpy()
    assert np.array_equal(blocks[:, 0, :, 0], expected)


def test_a_long_strip_keeps_32_px_per_image(tmp_path: Path) -> None:
    path = save_grid(torch.zeros(64, 1, 8, 8, dtype=torch.long), 2, tmp_path / "strip.png", nrow=64)
    assert Image.open(path).size == (64 * (32 + 2) + 2, 32 + 4)


def test_image_grid_for_notebooks_keeps_native_size_by_default() -> None:
    grid = image_grid(torch.zeros(4, 1, 8, 8, dtype=torch.long), 2, nrow=2)
    assert grid.shape == (3, 2 * 9 + 1, 2 * 9 + 1)
    assert image_grid(torch.zeros(4, 1, 8, 8, dtype=torch.long), 2, nrow=2, scale=3, padding=2).shape == (3, 54, 54)
