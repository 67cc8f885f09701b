"""The inverse-CDF draw of one level per row of logits: the reference every sampler and head reproduces.

A uniform u picks the level ``#{k : CDF(k) < u}`` (clamped to K-1), with the CDF the cumulative softmax of the
logits in float64. A sampler that computes the distribution another way (other float grouping, a closed form)
picks the same level whenever u is farther from the CDF boundaries around it than its error: ``bound_margins``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F


def level_cdf(logits: torch.Tensor) -> torch.Tensor:
    """Logits (n,K) -> cumulative probabilities (n,K) in float64."""
    return torch.softmax(logits.double(), dim=-1).cumsum(dim=-1)


def inverse_cdf(logits: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """Sample a level per row: logits (n,K), uniforms (n,) -> LongTensor (n,) with P(k) = softmax(logits)_k."""
    return cdf_index(level_cdf(logits), u)


def cdf_index(cdf: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """The level ``inverse_cdf`` picks, from cumulative probabilities (n,K) float64 and uniforms (n,) -> (n,) long."""
    return (cdf < u.to(cdf.device, torch.float64)[:, None]).sum(dim=-1).clamp_(max=cdf.shape[-1] - 1)


def draw_from_logits(logits: torch.Tensor, u: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``inverse_cdf`` of logits (n,K) for uniforms u (n,): (levels (n,) long, bounds (n,2) float64), the CDF at
    level-1 and at the level (``cdf_bounds``)."""
    cdf = level_cdf(logits)
    levels = cdf_index(cdf, u)
    return levels, cdf_bounds(cdf, levels)


def cdf_bounds(cdf: torch.Tensor, levels: torch.Tensor) -> torch.Tensor:
    """The CDF (n,K) at level-1 and at the level (n,): (n,2) float64, CDF(-1) = 0. A drawn level lies between."""
    padded = F.pad(cdf, (1, 0))
    return padded.gather(1, torch.stack([levels, levels + 1], dim=1))


def bound_margins(bounds: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """u's distance (n,) float64 to the two CDF values (n,2) around it: no CDF error smaller than that can change
    the level it picks (the CDF is monotone, so these two are the boundaries nearest to u)."""
    u = u.to(bounds.device, torch.float64)
    return torch.minimum(u - bounds[:, 0], bounds[:, 1] - u)


def search_cdf(
    cdf_at: Callable[[torch.Tensor], torch.Tensor], u: torch.Tensor, num_levels: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """The level ``inverse_cdf`` picks for each u (n,), the smallest k with CDF(k) >= u (K-1 if none), without
    all K CDF values: ``cdf_at(levels)`` (n, m) long -> CDF (n, m) float64, monotone in the level, is asked for
    about 2*sqrt(K) levels per row (block ends, then the levels of u's block). Returns (levels (n,) long,
    bounds (n,2) float64: the CDF at level-1 and at the level, CDF(-1) = 0 and CDF(K-1) = 1, as ``cdf_bounds``)."""
    n, size = u.shape[0], math.isqrt(num_levels - 1) + 1  # blocks of `size` levels, size * size >= K
    u = u.to(torch.float64)[:, None]
    offsets = torch.arange(size - 1, device=u.device)
    last = (offsets[None] + 1) * size - 1  # (1, size-1): the last level of every block but the last block
    ends = torch.where(last < num_levels - 1, cdf_at(last.clamp(max=num_levels - 1)), 1.0).expand(n, -1)
    block = (ends < u).sum(-1, keepdim=True)  # (n, 1): u's block
    inner = block * size + offsets  # (n, size-1): the block's levels but its last
    inside = torch.where(inner < num_levels - 1, cdf_at(inner.clamp(max=num_levels - 1)), 1.0)
    levels = (inside < u).sum(-1, keepdim=True)  # position in the block
    # CDF before the block, at its levels, at its end (0 before level 0, 1 at and after level K-1)
    before, end = F.pad(ends, (1, 0)).gather(1, block), F.pad(ends, (0, 1), value=1.0).gather(1, block)
    around = torch.cat([before, inside, end], dim=1)
    bounds = around.gather(1, torch.cat([levels, levels + 1], dim=1))
    return (block * size + levels)[:, 0], bounds
