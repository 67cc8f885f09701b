"""Watching cached sampling's exactness fallback from outside: a spy on ``exact_levels`` (the full pass that decides
a draw near a CDF boundary) and, for a test that needs more or fewer fallbacks, another ``default_tolerance``."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import torch

from pixelcnn.sampling import cached

EXACT_LEVELS = cached.exact_levels  # the real one, whatever a test patched since: a second watch counts afresh


@dataclass
class Fallbacks:
    """``recomputed``: image sub-pixels whose level came from a full pass; ``max_cdf_error``: the largest CDF
    difference seen between that pass and the cache."""

    recomputed: int = 0
    max_cdf_error: float = 0.0


def watch_fallback(monkeypatch: pytest.MonkeyPatch, tolerance: float | None = None) -> Fallbacks:
    """Count every fallback of ``sample_cached`` from now on; ``tolerance`` replaces the dtype's default CDF margin
    (0: the fallback never runs, 1: on every sub-pixel). Each call starts a new count."""
    seen = Fallbacks()

    def spied(*args, **kwargs) -> tuple[torch.Tensor, float]:
        levels, error = EXACT_LEVELS(*args, **kwargs)
        seen.recomputed += len(levels)
        seen.max_cdf_error = max(seen.max_cdf_error, error)
        return levels, error

    monkeypatch.setattr(cached, "exact_levels", spied)
    if tolerance is not None:
        monkeypatch.setattr(cached, "default_tolerance", lambda _dtype: tolerance)
    return seen
