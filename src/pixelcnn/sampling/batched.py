"""Sampling many images: chunks of ``batch_size`` with one progress bar; the images do not depend on the chunking.

Each chunk's uniforms are drawn (or sliced) when it is sampled, so the noise in memory never exceeds one chunk.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from pixelcnn.nn.backbone import GatedPixelCNN
from pixelcnn.sampling.cached import sample_cached
from pixelcnn.sampling.captured import static_runner, use_capture
from pixelcnn.sampling.naive import sample_naive
from pixelcnn.sampling.progress import SamplingProgress

NoiseSource = Callable[[int, int], torch.Tensor]  # (start, stop) -> uniforms (stop-start, C,H,W) of those images
BiasSource = Callable[[int, int], list[torch.Tensor]]  # (start, stop) -> per-layer biases of those images


def bias_source(biases: list[torch.Tensor] | BiasSource | None, n: int) -> BiasSource | None:
    """``biases`` as a function of (start, stop): a list (each (n, ...) or broadcast (1, ...)) is sliced; a
    function builds each chunk's biases when called, so biases for more than one chunk never exist at once."""
    if biases is None or callable(biases):
        return biases
    return lambda start, stop: [b[start:stop] if b.shape[0] == n else b for b in biases]


@torch.no_grad()
def sample_images(
    backbone: GatedPixelCNN,
    noise: NoiseSource,
    n: int,
    image_shape: tuple[int, int, int],
    biases: list[torch.Tensor] | BiasSource | None,
    *,
    fast: bool = True,
    batch_size: int | None = None,
    progress: bool = False,
    capture: bool | str = "auto",
) -> torch.Tensor:
    """Images (n,C,H,W) long: image k drawn with the uniforms ``noise(k, k+1)[0]``, given per-layer ``biases`` or None.

    ``biases``: (n, ...) tensors, or ``biases(start, stop)`` building those of one chunk only (a model's
    ``sample`` passes that: memory stays bounded by ``batch_size`` for every kind of conditioning).
    ``noise``: e.g. ``SeededNoise`` or ``GivenNoise`` (``pixelcnn.sampling.noise``). ``fast``: cached sampling, else
    one full pass per sub-pixel (the same images). ``batch_size``: images per chunk (None: all at once).
    ``progress``: a bar of image rows done and images/s. ``capture`` (cached sampling): every chunk on the static
    buffers of one ``StepRunner`` (``pixelcnn.sampling.captured``), the last chunk padded, its step replayed as
    CUDA graphs on a GPU; ``auto``: on CUDA only. The same images.
    """
    device = backbone.head_out.conv.weight.device
    size = max(1, int(batch_size)) if batch_size else max(1, n)
    height = image_shape[1]
    images = torch.zeros((n, *image_shape), dtype=torch.long, device=device)
    biases_of = bias_source(biases, n)
    runner = None
    if fast and n and use_capture(capture, device):
        shapes = None if biases_of is None else biases_of(0, min(size, n))  # a chunk's, for the static buffers
        runner = static_runner(backbone, min(size, n), image_shape, shapes)
    with SamplingProgress(height * math.ceil(n / size), height, enabled=progress) as bar:
        for start in range(0, n, size):
            stop = min(n, start + size)
            part = None if biases_of is None else biases_of(start, stop)
            on_row = lambda _row, m=stop - start: bar.row_done(m)  # noqa: E731
            uniforms = noise(start, stop)
            if fast:
                how = {"uniforms": uniforms, "on_row": on_row, "runner": runner}
                chunk = sample_cached(backbone, stop - start, image_shape, 0, part, device, **how)
            else:
                logits_fn = lambda x, p=part: backbone(x, p)  # noqa: E731
                chunk = sample_naive(logits_fn, stop - start, image_shape, 0, device, uniforms=uniforms, on_row=on_row)
            images[start:stop] = chunk
    return images
