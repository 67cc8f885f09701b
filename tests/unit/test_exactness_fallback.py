"""Cached sampling's safeguard learns from what it sees: after a full pass disagrees with the cached logits by a
CDF error e, every later sub-pixel whose uniform lies within 10 e of a boundary is recomputed too."""

from __future__ import annotations

import torch

from pixelcnn.nn import GatedPixelCNN
from pixelcnn.nn.draw import level_cdf
from pixelcnn.sampling import sample_cached
from tests.helpers import TINY_BACKBONE
from tests.helpers.fallback import watch_fallback

SHAPE, LEVELS = (1, 3, 3), 6


def test_an_error_seen_raises_the_tolerance_for_the_rest(monkeypatch) -> None:
    torch.manual_seed(0)
    backbone = GatedPixelCNN(image_channels=1, num_levels=LEVELS, **TINY_BACKBONE).eval()
    first_cdf = level_cdf(backbone(torch.zeros((1, *SHAPE), dtype=torch.long))[:, :, 0, 0, 0])
    uniforms = torch.rand((1, *SHAPE), dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    uniforms[0, 0, 0, 0] = first_cdf[0, 2]  # on a boundary: the first sub-pixel is recomputed however small tol is
    real = backbone.pixel_logits

    def disagreeing(*args, **kwargs) -> torch.Tensor:  # a full pass whose CDF differs from the cached one by ~0.1
        logits = real(*args, **kwargs)  # (B,K,C)
        return logits + torch.linspace(0.0, 1.5, LEVELS)[:, None]

    monkeypatch.setattr(backbone, "pixel_logits", disagreeing)
    seen = watch_fallback(monkeypatch, tolerance=1e-6)
    with torch.no_grad():
        sample_cached(backbone, 1, SHAPE, 0, uniforms=uniforms)
    assert seen.max_cdf_error > 0.05, seen
    # 10 x 0.05 > every margin (at most 1/2): each later sub-pixel is recomputed, not only the first one
    assert seen.recomputed == 9, seen  # all 1 x 3 x 3
