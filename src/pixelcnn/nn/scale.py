"""The one input scaling of the repo: integer levels in [0, K) -> floats in [-1, 1]."""

from __future__ import annotations

import torch


def levels_to_signed(x: torch.Tensor, num_levels: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Levels (B,C,H,W) in [0, K) -> floats in [-1, 1] of ``dtype``: level 0 -> -1, level K-1 -> +1.

    The backbone, the auto-encoders' encoders and the embedder all read images through this function.
    """
    # (2x - (K-1)) / (K-1): both ends exact (x * (2/(K-1)) - 1 gives 0.99999988 for K = 42 in float32) and
    # symmetric (levels k and K-1-k map to exact negatives)
    return (x.to(dtype) * 2.0 - (num_levels - 1)) / (num_levels - 1)
