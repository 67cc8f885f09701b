"""The randomness of sampling: one uniform per sub-pixel (the inverse CDF that turns it into a level is
``pixelcnn.nn.draw``). Any sampler that visits the same sub-pixels with the same uniforms gives the same images.

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
