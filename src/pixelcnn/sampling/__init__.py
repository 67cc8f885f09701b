"""Autoregressive sampling: naive (the reference), cached (+ its per-layer cache), noise, batching and progress.

All randomness is drawn up front, one uniform per sub-pixel, so both samplers give the same images for a seed.
"""

from pixelcnn.sampling.batched import sample_images
from pixelcnn.sampling.cached import SamplingStats, sample_cached
from pixelcnn.sampling.naive import sample_naive
from pixelcnn.sampling.noise import draw_uniforms, inverse_cdf, level_cdf

__all__ = [
    "SamplingStats",
    "draw_uniforms",
    "inverse_cdf",
    "level_cdf",
    "sample_cached",
    "sample_images",
    "sample_naive",
]
