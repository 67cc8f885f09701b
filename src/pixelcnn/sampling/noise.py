"""The randomness of sampling: one uniform per sub-pixel, drawn up front, and the inverse CDF that turns it into a
level. Any sampler that visits the same sub-pixels with the same uniforms gives the same images."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch


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
