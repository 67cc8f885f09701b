"""Autoregressive sampling. All randomness is drawn up front, one uniform per sub-pixel, so any sampler that
visits the same sub-pixels gives the same images for the same seed.

Two samplers share that contract:

- ``sample_naive``: one full forward pass per sub-pixel (C*H*W passes), the reference;
- ``sample_cached``: per-layer caches (``pixelcnn.nn.generation_cache``), each layer computed only where the new
  sub-pixel changes it. Its logits equal the full pass's up to float rounding; when a uniform falls so close to a
  CDF boundary that rounding could pick another level, that one sub-pixel's logits are taken from a full pass
  instead, so both samplers return exactly the same images.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import torch

from pixelcnn.nn.backbone import GatedPixelCNN
from pixelcnn.nn.generation_cache import GenerationCache

RowCallback = Callable[[int], None]


def draw_uniforms(n: int, image_shape: tuple[int, int, int], seed: int) -> torch.Tensor:
    """(n,C,H,W) uniforms in [0,1) from a CPU generator, identical on every device and platform."""
    generator = torch.Generator().manual_seed(int(seed))
    return torch.rand((n, *image_shape), generator=generator, dtype=torch.float64)


def level_cdf(logits: torch.Tensor) -> torch.Tensor:
    """Logits (n,K) -> cumulative probabilities (n,K) in float64."""
    return torch.softmax(logits.double(), dim=-1).cumsum(dim=-1)


def inverse_cdf(logits: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """Sample a level per row: logits (n,K), uniforms (n,) -> LongTensor (n,) with P(k) = softmax(logits)_k."""
    cdf = level_cdf(logits)
    index = (cdf < u.to(cdf.device, torch.float64)[:, None]).sum(dim=-1)
    return index.clamp_(max=logits.shape[-1] - 1)


def boundary_margin(logits: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """Smallest distance (scalar float64) of any u (n,) to a CDF boundary of its logits (n,K).

    ``inverse_cdf`` can only change its answer under a perturbation of the logits that moves a boundary past u.
    The last boundary (1) is left out: below or above it, the index is clamped to K-1 either way.
    """
    cdf = level_cdf(logits)[:, :-1]
    return (cdf - u.to(cdf.device, torch.float64)[:, None]).abs().min()


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


@contextlib.contextmanager
def exact_float32() -> Iterator[None]:
    """Turn TF32 off while sampling, so float32 matmuls and convs on CUDA round like float32 everywhere."""
    matmul, cudnn = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False
    try:
        yield
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = matmul, cudnn


@dataclass
class SamplingStats:
    """What ``sample_cached`` did: ``full_passes`` taken near a CDF boundary, of ``sub_pixels`` drawn, and the
    largest CDF difference seen between cached and full-pass logits at those sub-pixels."""

    sub_pixels: int = 0
    full_passes: int = 0
    max_cdf_error: float = 0.0


def _prepare(
    n: int, image_shape: tuple[int, int, int], seed: int, uniforms: torch.Tensor | None, device: torch.device | str
) -> tuple[torch.Tensor, torch.Tensor]:
    """Uniforms (n,C,H,W) float64 on ``device`` (drawn from ``seed`` unless given) and zero images (n,C,H,W)."""
    if uniforms is None:
        uniforms = draw_uniforms(n, image_shape, seed)
    if tuple(uniforms.shape) != (n, *image_shape):
        raise ValueError(f"uniforms must have shape {(n, *image_shape)}, got {tuple(uniforms.shape)}")
    x = torch.zeros((n, *image_shape), dtype=torch.long, device=device)
    return uniforms.to(device, torch.float64), x


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
    stop_after: int | None = None,
) -> torch.Tensor:
    """One full forward pass per sub-pixel, in raster order and R -> G -> B inside a pixel.

    ``logits_fn``: LongTensor (n,C,H,W) -> logits (n,K,C,H,W). ``uniforms`` (n,C,H,W) replaces the draw from
    ``seed`` (to sample a big batch in chunks); ``on_row(i)`` is called after row i. ``stop_after``: draw only the
    first that many sub-pixels and leave the rest 0 (benchmarks time a prefix of a big image). Returns a
    LongTensor (n,C,H,W).
    """
    channels, height, width = image_shape
    u, x = _prepare(n, image_shape, seed, uniforms, device)
    remaining = channels * height * width if stop_after is None else stop_after
    with exact_float32():
        for i in range(height):
            for j in range(width):
                for c in range(channels):
                    if remaining <= 0:
                        return x
                    logits = logits_fn(x)[:, :, c, i, j]
                    x[:, c, i, j] = inverse_cdf(logits, u[:, c, i, j])
                    remaining -= 1
            if on_row is not None:
                on_row(i)
    return x


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
) -> torch.Tensor:
    """The images ``sample_naive(lambda x: backbone(x, cond), ...)`` returns, at a fraction of the cost.

    ``cond``: the backbone's per-layer biases (n, 4*hidden, 1|H, 1|W) or None. ``tolerance``: CDF margin under
    which a sub-pixel's logits come from a full pass (default ``default_tolerance`` of the weights' dtype; 0
    never does). ``stats`` is filled in when given. Returns a LongTensor (n,C,H,W).
    """
    channels, height, width = image_shape
    u, x = _prepare(n, image_shape, seed, uniforms, device)
    if tolerance is None:
        tolerance = default_tolerance(backbone.head_out.conv.weight.dtype)
    stats = stats if stats is not None else SamplingStats()
    with exact_float32():
        cache = GenerationCache(backbone, n, height, width, cond)
        for i in range(height):
            cache.start_row(i, x)
            for j in range(width):
                for c in range(channels):
                    logits = cache.pixel_logits(x, i, j, c)
                    u_now = u[:, c, i, j]
                    if tolerance > 0 and boundary_margin(logits, u_now) < tolerance:
                        exact = backbone(x, cond)[:, :, c, i, j]
                        error = float((level_cdf(exact) - level_cdf(logits)).abs().max())
                        stats.full_passes += 1
                        stats.max_cdf_error = max(stats.max_cdf_error, error)
                        tolerance = max(tolerance, 10 * error)
                        logits = exact
                    x[:, c, i, j] = inverse_cdf(logits, u_now)
            if on_row is not None:
                on_row(i)
    stats.sub_pixels += n * channels * height * width
    return x
