"""Autoregressive sampling. All randomness is drawn up front, one uniform per sub-pixel, so any sampler that
visits the same sub-pixels gives the same images for the same seed."""

from __future__ import annotations

from collections.abc import Callable

import torch


def draw_uniforms(n: int, image_shape: tuple[int, int, int], seed: int) -> torch.Tensor:
    """(n,C,H,W) uniforms in [0,1) from a CPU generator, identical on every device and platform."""
    generator = torch.Generator().manual_seed(int(seed))
    return torch.rand((n, *image_shape), generator=generator, dtype=torch.float64)


def inverse_cdf(logits: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """Sample a level per row: logits (n,K), uniforms (n,) -> LongTensor (n,) with P(k) = softmax(logits)_k."""
    cdf = torch.softmax(logits.double(), dim=-1).cumsum(dim=-1)
    index = (cdf < u.to(cdf.device, torch.float64)[:, None]).sum(dim=-1)
    return index.clamp_(max=logits.shape[-1] - 1)


@torch.no_grad()
def sample_naive(
    logits_fn: Callable[[torch.Tensor], torch.Tensor],
    n: int,
    image_shape: tuple[int, int, int],
    seed: int,
    device: torch.device | str = "cpu",
) -> torch.Tensor:
    """One full forward pass per sub-pixel, in raster order and R -> G -> B inside a pixel.

    ``logits_fn``: LongTensor (n,C,H,W) -> logits (n,K,C,H,W). Returns a LongTensor (n,C,H,W).
    """
    channels, height, width = image_shape
    u = draw_uniforms(n, image_shape, seed)
    x = torch.zeros((n, channels, height, width), dtype=torch.long, device=device)
    for i in range(height):
        for j in range(width):
            for c in range(channels):
                logits = logits_fn(x)[:, :, c, i, j]
                x[:, c, i, j] = inverse_cdf(logits, u[:, c, i, j])
    return x
