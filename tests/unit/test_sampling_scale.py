"""Sampling at scale: the exactness fallback recomputes only the images that need it (rows 0..i of them), noise per
(seed, image index) so images do not depend on n or the batch size, and the noise in memory is one chunk's."""

from __future__ import annotations

import pytest
import torch

from pixelcnn.models import ClassConditionalPixelCNN, PixelCNN
from pixelcnn.sampling import draw_uniforms, image_seed, sample_cached, sample_naive
from pixelcnn.sampling import noise as noise_module
from tests.helpers import TINY_BACKBONE
from tests.helpers.biases import layer_biases
from tests.helpers.fallback import watch_fallback
from tests.unit.test_cached_sampling import HEIGHT, WIDTH, biases_of, perturb_cache, random_backbone

N = 5


def record_passes(monkeypatch: pytest.MonkeyPatch, backbone: torch.nn.Module) -> list[tuple[int, ...]]:
    """Input shapes of every pass of ``backbone`` through its layers (``head_params``) from now on."""
    shapes: list[tuple[int, ...]] = []
    layers = backbone.head_params

    def recorded(x, cond=None):
        shapes.append(tuple(x.shape))
        return layers(x, cond)

    monkeypatch.setattr(backbone, "head_params", recorded)
    return shapes


@pytest.mark.parametrize("cond", ["none", "vector", "map", "rows", "cols"])
def test_the_fallback_recomputes_only_the_images_that_need_it(monkeypatch: pytest.MonkeyPatch, cond: str) -> None:
    """Every conditioning kind: with a cache forced to fall back often, the images are those of naive sampling of
    the batch and of each image alone, and each fallback pass holds only the images near a boundary, on rows 0..i."""
    backbone = random_backbone(3, 3, 5, 3)
    shape = (3, HEIGHT, WIDTH)
    biases = biases_of(cond, backbone, N)
    uniforms = draw_uniforms(N, shape, seed=5)
    naive = sample_naive(lambda x: backbone(x, biases), N, shape, 0, uniforms=uniforms)
    for k in range(N):
        alone = None if biases is None else [b[k : k + 1] for b in biases]
        one = sample_naive(lambda x, a=alone: backbone(x, a), 1, shape, 0, uniforms=uniforms[k : k + 1])
        assert torch.equal(one[0], naive[k]), k
    perturb_cache(monkeypatch, 1e-3)  # many draws within the tolerance 0.01 of a boundary take the fallback
    passes = record_passes(monkeypatch, backbone)
    stats = watch_fallback(monkeypatch, tolerance=0.01)
    cached = sample_cached(backbone, N, shape, 0, biases, uniforms=uniforms)
    assert torch.equal(cached, naive)
    assert 0 < stats.recomputed < naive.numel() // 2
    assert sum(s[0] for s in passes) == stats.recomputed  # one image per recomputed sub-pixel, nothing more
    assert max(s[0] for s in passes) < N and min(s[2] for s in passes) < HEIGHT  # never the whole batch or image


def test_each_image_has_its_own_noise_from_seed_and_index() -> None:
    shape = (2, 3, 4)
    block = draw_uniforms(6, shape, seed=9)
    assert block.shape == (6, *shape) and block.dtype == torch.float64 and 0 <= block.min() and block.max() < 1
    for i in range(6):
        assert torch.equal(draw_uniforms(1, shape, seed=9, start=i)[0], block[i])
    assert torch.equal(draw_uniforms(2, shape, seed=9, start=3), block[3:5])
    assert not torch.equal(draw_uniforms(6, shape, seed=10), block)
    seeds = {image_seed(s, i) for s in range(20) for i in range(20)}
    assert len(seeds) == 400  # nearby (seed, index) pairs never share a generator
    assert not torch.equal(draw_uniforms(1, shape, seed=9, start=1)[0], draw_uniforms(1, shape, seed=10)[0])


def test_images_do_not_depend_on_n_or_batch_size_and_noise_is_explicit() -> None:
    torch.manual_seed(0)
    model = PixelCNN((3, 3, 4), 8, backbone=TINY_BACKBONE)
    shape = model.image_shape
    images = model.sample(7, seed=3)
    assert torch.equal(images[:4], model.sample(4, seed=3))  # image i is image i of every larger n
    assert torch.equal(images, model.sample(7, seed=3, batch_size=3))
    assert torch.equal(images, model.sample(7, seed=3, fast=False, batch_size=2))
    assert torch.equal(images, model.sample(7, noise=draw_uniforms(7, shape, 3)))
    assert torch.equal(images[5], model.sample(1, noise=draw_uniforms(1, shape, 3, start=5))[0])
    assert torch.equal(images[0], model.sample(1, seed=3)[0])
    assert not torch.equal(images[1], images[0])


def test_the_noise_in_memory_is_one_chunk(monkeypatch: pytest.MonkeyPatch) -> None:
    """``sample(n, batch_size=b)`` never draws or holds more than b images' uniforms, seeded or explicit."""
    torch.manual_seed(0)
    model = ClassConditionalPixelCNN((1, 3, 3), 4, num_classes=2, backbone=TINY_BACKBONE)
    drawn: list[int] = []
    sampled: list[int] = []
    original_draw, original_cached = noise_module.draw_uniforms, sample_cached

    def spy_draw(n, *args, **kwargs):
        drawn.append(n)
        return original_draw(n, *args, **kwargs)

    def spy_cached(*args, uniforms, **kwargs):
        sampled.append(uniforms.shape[0])
        return original_cached(*args, uniforms=uniforms, **kwargs)

    monkeypatch.setattr(noise_module, "draw_uniforms", spy_draw)
    monkeypatch.setattr("pixelcnn.sampling.batched.sample_cached", spy_cached)
    labels = torch.arange(11) % 2
    images = model.sample(11, cond=labels, seed=1, batch_size=4)
    assert drawn == [4, 4, 3] and sampled == [4, 4, 3]
    sampled.clear()
    assert torch.equal(images, model.sample(11, cond=labels, noise=original_draw(11, (1, 3, 3), 1), batch_size=4))
    assert sampled == [4, 4, 3]


@pytest.mark.parametrize(("kernel", "first_kernel", "layers"), [(3, 3, 2), (3, 5, 3), (5, 7, 2)])
def test_the_fallback_pass_reads_only_the_rows_a_pixel_sees(kernel: int, first_kernel: int, layers: int) -> None:
    """On an image taller than the backbone's reach (``rows_above``), the logits of one pixel from a pass over
    the rows it reads only are those of a full forward pass, conditioned on a bias map too."""
    backbone = random_backbone(3, kernel, first_kernel, layers)
    height = backbone.rows_above + 4
    x = torch.randint(0, 9, (2, 3, height, WIDTH), generator=torch.Generator().manual_seed(0))
    biases = layer_biases(backbone, 2, (height, WIDTH))
    with torch.no_grad():
        full = backbone(x, biases)
        for i in range(height):
            for j in range(WIDTH):
                torch.testing.assert_close(backbone.pixel_logits(x, biases, i, j), full[..., i, j], rtol=0, atol=1e-5)
    assert backbone.rows_above == 1 + first_kernel // 2 + (layers - 1) * (kernel // 2)
