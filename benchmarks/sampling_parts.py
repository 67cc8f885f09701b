"""What ``sampling.py`` measures inside a sampler through its public arguments: naive sampling of the first sub-pixels
of a big image only, and the full passes of cached sampling's exactness fallback."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import torch
from bench_utils import synchronize, timed

from pixelcnn.sampling import cached, sample_naive


class PrefixLogits:
    """A ``logits_fn`` for ``sample_naive``: the model's logits for the first ``limit`` sub-pixels, then zero logits
    of the same shape without a forward pass, so the rest of the image costs next to nothing. ``seconds``: the time
    up to the draw of sub-pixel ``limit`` (None when the image has no more sub-pixels than that)."""

    def __init__(self, logits_fn: Callable[[torch.Tensor], torch.Tensor], limit: int, device: torch.device) -> None:
        self.logits_fn, self.limit, self.device = logits_fn, limit, device
        self.calls, self.start, self.seconds = 0, 0.0, None
        self.zeros: torch.Tensor | None = None

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if self.calls == 0:
            synchronize(self.device)
            self.start = time.perf_counter()
        self.calls += 1
        if self.calls <= self.limit:
            logits = self.logits_fn(x)
            self.zeros = torch.zeros((), dtype=logits.dtype, device=logits.device).expand(logits.shape)
            return logits
        if self.seconds is None:  # sub-pixel limit has been drawn
            synchronize(self.device)
            self.seconds = time.perf_counter() - self.start
        return self.zeros


def naive_prefix(
    logits_fn: Callable[[torch.Tensor], torch.Tensor],
    shape: tuple[int, int, int],
    uniforms: torch.Tensor,
    limit: int,
    device: torch.device,
) -> tuple[torch.Tensor, float]:
    """(images (n,C,H,W) of naive sampling whose first ``limit`` sub-pixels, raster order with channels innermost,
    are drawn from the model, seconds those took)."""
    logits = PrefixLogits(logits_fn, limit, device)
    images, seconds = timed(lambda: sample_naive(logits, len(uniforms), shape, 0, device, uniforms=uniforms), device)
    return images, seconds if logits.seconds is None else logits.seconds


@contextmanager
def fallbacks_counted() -> Iterator[dict]:
    """While active, counts cached sampling's fallbacks (``cached.exact_levels``, the full pass that decides a draw
    near a CDF boundary): ``{"recomputed": image sub-pixels, "max_cdf_error": largest cached-vs-exact CDF gap}``."""
    seen = {"recomputed": 0, "max_cdf_error": 0.0}
    real = cached.exact_levels

    def counted(*args, **kwargs) -> tuple[torch.Tensor, float]:
        levels, error = real(*args, **kwargs)
        seen["recomputed"] += len(levels)
        seen["max_cdf_error"] = max(seen["max_cdf_error"], error)
        return levels, error

    cached.exact_levels = counted
    try:
        yield seen
    finally:
        cached.exact_levels = real
