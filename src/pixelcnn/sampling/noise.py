"""The randomness of sampling: one uniform per sub-pixel, and the inverse CDF that turns it into a level. Any sampler
that visits the same sub-pixels with the same uniforms gives the same images.

Image i of seed s has its own uniforms, drawn from a generator seeded with ``image_seed(s, i)``: an image does not
depend on how many images are drawn with it or in which chunks, and a chunk's uniforms are drawn when it is sampled
(memory bounded by the chunk, not by n)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch

MASK64 = (1 << 64) - 1


def _splitmix64(value: int) -> int:
    """One step of the SplitMix64 mixer (Steele et al. 2014): a bijection of 64-bit integers."""
    value = (value + 0x9E3779B97F4A7C15) & MASK64
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & MASK64
    return value ^ (value >> 31)


def image_seed(seed: int, index: int) -> int:
    """The 64-bit generator seed of image ``index`` of ``seed``: nearby (seed, index) pairs give unrelated seeds."""
    return _splitmix64(_splitmix64(int(seed) & MASK64) ^ (int(index) & MASK64))


def draw_uniforms(n: int, image_shape: tuple[int, int, int], seed: int, start: int = 0) -> torch.Tensor:
    """Uniforms (n,C,H,W) in [0,1) of images ``start`` .. ``start+n-1`` of ``seed``: image k from a CPU generator
    seeded with ``image_seed(seed, k)``, identical on every device and platform."""
    generator = torch.Generator()
    out = torch.empty((n, *image_shape), dtype=torch.float64)
    for k in range(n):
        generator.manual_seed(image_seed(seed, start + k))
        torch.rand(tuple(image_shape), generator=generator, dtype=torch.float64, out=out[k])
    return out


class SeededNoise:
    """The uniforms of ``seed``, image by image: ``noise(start, stop)`` -> (stop-start, C,H,W) float64."""

    def __init__(self, image_shape: tuple[int, int, int], seed: int) -> None:
        self.image_shape, self.seed = tuple(image_shape), int(seed)

    def __call__(self, start: int, stop: int) -> torch.Tensor:
        return draw_uniforms(stop - start, self.image_shape, self.seed, start)


class GivenNoise:
    """Explicit uniforms (n,C,H,W), handed out chunk by chunk: ``noise(start, stop)`` -> rows start..stop-1."""

    def __init__(self, uniforms: torch.Tensor) -> None:
        self.uniforms = uniforms

    def __call__(self, start: int, stop: int) -> torch.Tensor:
        return self.uniforms[start:stop]


def level_cdf(logits: torch.Tensor) -> torch.Tensor:
    """Logits (n,K) -> cumulative probabilities (n,K) in float64."""
    return torch.softmax(logits.double(), dim=-1).cumsum(dim=-1)


def inverse_cdf(logits: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """Sample a level per row: logits (n,K), uniforms (n,) -> LongTensor (n,) with P(k) = softmax(logits)_k."""
    return cdf_index(level_cdf(logits), u)


def cdf_index(cdf: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """The level ``inverse_cdf`` picks, from cumulative probabilities (n,K) float64 and uniforms (n,) -> (n,) long."""
    return (cdf < u.to(cdf.device, torch.float64)[:, None]).sum(dim=-1).clamp_(max=cdf.shape[-1] - 1)


def boundary_margins(cdf: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """Distance (n,) float64 of each u (n,) to the nearest boundary of its cumulative probabilities (n,K).

    ``inverse_cdf`` can only change its answer under a perturbation of the logits that moves a boundary past u.
    The last boundary (1) is left out: below or above it, the index is clamped to K-1 either way.
    """
    return (cdf[:, :-1] - u.to(cdf.device, torch.float64)[:, None]).abs().amin(dim=-1)


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


def prepare(
    n: int, image_shape: tuple[int, int, int], seed: int, uniforms: torch.Tensor | None, device: torch.device | str
) -> tuple[torch.Tensor, torch.Tensor]:
    """Uniforms (n,C,H,W) float64 on ``device`` (drawn from ``seed`` unless given) and zero images (n,C,H,W)."""
    if uniforms is None:
        uniforms = draw_uniforms(n, image_shape, seed)
    if tuple(uniforms.shape) != (n, *image_shape):
        raise ValueError(f"uniforms must have shape {(n, *image_shape)}, got {tuple(uniforms.shape)}")
    x = torch.zeros((n, *image_shape), dtype=torch.long, device=device)
    return uniforms.to(device, torch.float64), x
