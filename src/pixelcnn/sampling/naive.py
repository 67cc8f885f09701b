"""The reference sampler: one full forward pass per sub-pixel, in raster order and R -> G -> B inside a pixel."""

from __future__ import annotations

from collections.abc import Callable

import torch

from pixelcnn.nn.draw import inverse_cdf
from pixelcnn.sampling.noise import exact_float32, prepare

RowCallback = Callable[[int], None]


@torch.no_grad()
def sample_naive(
    logits_fn: Callable[[torch.Tensor], torch.Tensor],
    n: int,
    image_shape: tuple[int, int, int],
    seed: int,
    device: torch.device | str = "cpu",
    *,
    uniforms: torch.Tensor | None = None,
    on_row: RowCallback | None = None,
) -> torch.Tensor:
    """One full forward pass per sub-pixel, in raster order and R -> G -> B inside a pixel.

    ``logits_fn``: LongTensor (n,C,H,W) -> logits (n,K,C,H,W). ``uniforms`` (n,C,H,W) replaces the draw from
    ``seed`` (to sample a big batch in chunks); ``on_row(i)`` is called after row i. Returns a LongTensor (n,C,H,W).
    """
    channels, height, width = image_shape
    u, x = prepare(n, image_shape, seed, uniforms, device)
    with exact_float32():
        for i in range(height):
            for j in range(width):
                for c in range(channels):
                    logits = logits_fn(x)[:, :, c, i, j]
                    x[:, c, i, j] = inverse_cdf(logits, u[:, c, i, j])
            if on_row is not None:
                on_row(i)
    return x
