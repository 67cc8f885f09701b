"""Cached sampling: how one image is drawn, sub-pixel by sub-pixel, without a full forward pass per sub-pixel.

For every row i, pixel j and channel c in raster / R -> G -> B order: the network's layers advance their caches to
sub-pixel (c, i, j) and give the head's parameters there (``GenerationCache``, ``pixelcnn.nn.generation``); the head
draws the level that the inverse CDF of its distribution picks for this sub-pixel's uniform (``Head.draw``), and
says how far the uniform is from the CDF boundaries around that level.

Those parameters equal a full pass's up to float rounding, so a level can differ from ``sample_naive``'s only when
the uniform is that close to a boundary. Then (margin under ``default_tolerance``, raised to 10x any error seen)
the level of that image comes from the reference: the logits of a forward pass of that image alone over the rows
pixel (i, j) reads (``GatedPixelCNN.pixel_logits``, in ``exact_levels``), so the images are those of
``sample_naive``. The cost grows with the number of images that need it, not with the batch.
"""

from __future__ import annotations

import torch

from pixelcnn.nn.backbone import GatedPixelCNN
from pixelcnn.nn.draw import bound_margins, cdf_bounds, cdf_index, level_cdf
from pixelcnn.sampling.captured import StepRunner
from pixelcnn.sampling.naive import RowCallback
from pixelcnn.sampling.noise import exact_float32, prepare


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
    runner: StepRunner | None = None,
) -> torch.Tensor:
    """The images ``sample_naive(lambda x: backbone(x, cond), ...)`` returns, at a fraction of the cost.

    ``cond``: the backbone's per-layer biases (n, 4*hidden, 1|H, 1|W), the last layer's (n, 2*hidden, 1|H, 1|W),
    or None. ``runner``: the step of its cache (reset here for these n <= its batch_size images;
    ``static_runner``) instead of a new cache's. Returns a LongTensor (n,C,H,W).
    """
    channels, height, width = image_shape
    u, x = prepare(n, image_shape, seed, uniforms, device)
    head = backbone.head_out
    tolerance = default_tolerance(head.conv.weight.dtype)  # CDF margin under which a full pass decides
    with exact_float32():
        if runner is None:
            cache = backbone.cache(n, height, width, cond)
            step = cache.step
        else:
            cache, step = runner.cache, runner
            cache.reset(n, cond)
        for i in range(height):
            cache.start_row(i, x)
            for j in range(width):
                for c in range(channels):
                    cache.load(x, i, j, c)
                    u_now = u[:, c, i, j]
                    levels, bounds = head.draw(step(j, c)[:n], x[:, :, i, j], c, u_now)
                    near = (bound_margins(bounds, u_now) < tolerance).nonzero()[:, 0]
                    if len(near):
                        cached = (levels[near], bounds[near])
                        levels[near], error = exact_levels(backbone, x, cond, near, (c, i, j), u_now[near], cached)
                        tolerance = max(tolerance, 10 * error)
                    x[:, c, i, j] = levels
            if on_row is not None:
                on_row(i)
    return x


def exact_levels(
    backbone: GatedPixelCNN,
    x: torch.Tensor,
    cond: list[torch.Tensor] | None,
    index: torch.Tensor,
    where: tuple[int, int, int],
    u: torch.Tensor,
    cached: tuple[torch.Tensor, torch.Tensor],
) -> tuple[torch.Tensor, float]:
    """The levels (m,) that ``sample_naive`` draws at sub-pixel ``where`` = (c, i, j) of images ``index`` (m,) of
    ``x`` for uniforms u (m,): from the logits of a forward pass of those images alone. Also the largest difference
    between that pass's CDF and the cached one, at the cached draws' bounds (``cached``: levels (m,), bounds (m,2))."""
    c, i, j = where
    biases = None if cond is None else [b[index] if b.shape[0] > 1 else b for b in cond]
    cdf = level_cdf(backbone.pixel_logits(x[index], biases, i, j)[:, :, c])
    levels, bounds = cached
    error = (cdf_bounds(cdf, levels) - bounds).abs().max()
    return cdf_index(cdf, u), float(error)


def default_tolerance(dtype: torch.dtype) -> float:
    """CDF margin below which ``sample_cached`` asks a full pass: far above the rounding error of ``dtype``.

    A logit error d moves a CDF value c by at most about 2d*c*(1-c). Cached float32 logits differ from a full
    pass by ~1e-7 (CDF by ~1e-8) on the models we measured; ``sample_cached`` also raises the tolerance to 10x
    any CDF difference it sees between the two, so a larger error only costs more full passes.
    """
    if dtype == torch.float64:
        return 1e-11
    if dtype == torch.float32:
        return 2e-6
    return 3e-2  # float16 / bfloat16
