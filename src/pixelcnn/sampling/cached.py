"""Cached sampling: per-layer caches (``pixelcnn.sampling.cache``), each layer computed only where the new
sub-pixel changes it. Its logits equal the full pass's up to float rounding; when an image's uniform falls so close
to a CDF boundary that rounding could pick another level, that image's logits at that sub-pixel come from a forward
pass of that image alone, on its rows 0..i only (rows below cannot reach row i), so it returns the images of
``sample_naive``. The cost of that safeguard grows with the number of images that need it, not with the batch.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from pixelcnn.nn.backbone import GatedPixelCNN
from pixelcnn.sampling.cache import GenerationCache
from pixelcnn.sampling.captured import StepRunner
from pixelcnn.sampling.naive import RowCallback
from pixelcnn.sampling.noise import boundary_margins, cdf_index, default_tolerance, exact_float32, level_cdf, prepare


@dataclass
class SamplingStats:
    """What ``sample_cached`` did: ``recomputed`` image sub-pixels whose logits were taken from a forward pass (near
    a CDF boundary), of ``sub_pixels`` drawn, and the largest CDF difference seen between cached and exact logits."""

    sub_pixels: int = 0
    recomputed: int = 0
    max_cdf_error: float = 0.0


def rows_of(tensor: torch.Tensor, index: torch.Tensor, rows: int) -> torch.Tensor:
    """Images ``index`` of a (B|1, ch, H|1, W|1) tensor, cut to its first ``rows`` rows when it has rows."""
    part = tensor[index] if tensor.shape[0] > 1 else tensor
    return part[:, :, :rows] if part.shape[2] > 1 else part


def exact_logits(
    backbone: GatedPixelCNN,
    x: torch.Tensor,
    cond: list[torch.Tensor] | None,
    index: torch.Tensor,
    c: int,
    i: int,
    j: int,
) -> torch.Tensor:
    """Logits (m,K) of sub-pixel (c,i,j) of images ``index`` (m,) of ``x`` (B,C,H,W), by a forward pass of those
    images alone. Row i of every layer reads rows <= i only, so the pass stops at row i."""
    biases = None if cond is None else [rows_of(b, index, i + 1) for b in cond]
    return backbone(rows_of(x, index, i + 1), biases)[:, :, c, i, j]


@torch.no_grad()
def sample_cached(
    backbone: GatedPixelCNN,
    n: int,
    image_shape: tuple[int, int, int],
    seed: int,
    cond: list[torch.Tensor] | None = None,
    device: torch.device | str = "cpu",
    *,
    uniforms: torch.Tensor | None = None,
    on_row: RowCallback | None = None,
    tolerance: float | None = None,
    stats: SamplingStats | None = None,
    runner: StepRunner | None = None,
) -> torch.Tensor:
    """The images ``sample_naive(lambda x: backbone(x, cond), ...)`` returns, at a fraction of the cost.

    ``cond``: the backbone's per-layer biases (n, 4*hidden, 1|H, 1|W) or None. ``tolerance``: CDF margin under
    which an image's logits at a sub-pixel come from a forward pass (default ``default_tolerance`` of the weights'
    dtype; 0 never does). ``stats`` is filled in when given. ``runner``: the step of its cache (reset here for
    these n <= its batch_size images; ``static_runner``) instead of a new cache's. Returns a LongTensor (n,C,H,W).
    """
    channels, height, width = image_shape
    u, x = prepare(n, image_shape, seed, uniforms, device)
    if tolerance is None:
        tolerance = default_tolerance(backbone.head_out.conv.weight.dtype)
    stats = stats if stats is not None else SamplingStats()
    with exact_float32():
        if runner is None:
            cache = GenerationCache(backbone, n, height, width, cond)
            step = cache.step
        else:
            cache, step = runner.cache, runner
            cache.reset(n, cond)
        for i in range(height):
            cache.start_row(i, x)
            for j in range(width):
                for c in range(channels):
                    cache.load(x, i, j, c)
                    cdf = level_cdf(step(j, c)[:n])
                    u_now = u[:, c, i, j]
                    if tolerance > 0:
                        near = (boundary_margins(cdf, u_now) < tolerance).nonzero()[:, 0]
                        if len(near):
                            exact = level_cdf(exact_logits(backbone, x, cond, near, c, i, j))
                            error = float((exact - cdf[near]).abs().max())
                            stats.recomputed += len(near)
                            stats.max_cdf_error = max(stats.max_cdf_error, error)
                            tolerance = max(tolerance, 10 * error)
                            cdf[near] = exact
                    x[:, c, i, j] = cdf_index(cdf, u_now)
            if on_row is not None:
                on_row(i)
    stats.sub_pixels += n * channels * height * width
    return x
