"""Sampling many images: chunks of ``batch_size`` with one progress bar; the images do not depend on the chunking."""

from __future__ import annotations

import math

import torch

from pixelcnn.nn.backbone import GatedPixelCNN
from pixelcnn.sampling.cached import sample_cached
from pixelcnn.sampling.naive import sample_naive
from pixelcnn.sampling.progress import SamplingProgress


@torch.no_grad()
def sample_images(
    backbone: GatedPixelCNN,
    uniforms: torch.Tensor,
    biases: list[torch.Tensor] | None,
    *,
    fast: bool = True,
    batch_size: int | None = None,
    progress: bool = False,
) -> torch.Tensor:
    """Images (n,C,H,W) long for ``uniforms`` (n,C,H,W) (one per sub-pixel) and per-layer ``biases`` or None.

    ``fast``: cached sampling, else one full pass per sub-pixel (the same images). ``batch_size``: images per chunk
    (None: all at once). ``progress``: a bar of image rows done and images/s.
    """
    n, image_shape = uniforms.shape[0], tuple(uniforms.shape[1:])
    device = backbone.head_out.conv.weight.device
    size = max(1, int(batch_size)) if batch_size else max(1, n)
    height = image_shape[1]
    chunks = [torch.zeros((0, *image_shape), dtype=torch.long, device=device)]
    with SamplingProgress(height * math.ceil(n / size), height, enabled=progress) as bar:
        for start in range(0, n, size):
            stop = min(n, start + size)
            part = None if biases is None else [b[start:stop] if b.shape[0] == n else b for b in biases]
            on_row = lambda _row, m=stop - start: bar.row_done(m)  # noqa: E731
            chunk = uniforms[start:stop]
            if fast:
                images = sample_cached(
                    backbone, stop - start, image_shape, 0, part, device, uniforms=chunk, on_row=on_row
                )
            else:
                logits_fn = lambda x, p=part: backbone(x, p)  # noqa: E731
                images = sample_naive(logits_fn, stop - start, image_shape, 0, device, uniforms=chunk, on_row=on_row)
            chunks.append(images)
    return torch.cat(chunks)
