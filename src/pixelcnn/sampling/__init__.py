"""Autoregressive sampling: naive (the reference), cached (the layers' own steps, ``pixelcnn.nn.generation``, whose
per-sub-pixel step ``captured`` replays as CUDA graphs), noise, batching and progress.

One uniform per sub-pixel, image i of seed s drawn from (s, i), so both samplers give the same images for a seed.
"""

from pixelcnn.nn.draw import inverse_cdf, level_cdf
from pixelcnn.sampling.batched import NoiseSource, sample_images
from pixelcnn.sampling.cached import sample_cached
from pixelcnn.sampling.naive import sample_naive
from pixelcnn.sampling.noise import GivenNoise, SeededNoise, draw_uniforms, image_seed

__all__ = [
    "GivenNoise",
    "NoiseSource",
    "SeededNoise",
    "draw_uniforms",
    "image_seed",
    "inverse_cdf",
    "level_cdf",
    "sample_cached",
    "sample_images",
    "sample_naive",
]
