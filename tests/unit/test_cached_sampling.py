"""Cached sampling returns exactly the images of naive sampling, for every conditioning kind the backbone takes."""

from __future__ import annotations

import functools

import pytest
import torch

from pixelcnn.conditioning import VectorConditioner
from pixelcnn.figures import SampleGrid, draw_figures
from pixelcnn.models import ClassConditionalPixelCNN, PixelCNN
from pixelcnn.nn import GatedPixelCNN, LogisticMixtureHead
from pixelcnn.nn.generation import GenerationCache
from pixelcnn.sampling import SamplingStats, sample_cached, sample_naive
from tests.helpers import TINY_BACKBONE

HEIGHT, WIDTH = 4, 5  # not square, so a swapped height and width would show


def random_backbone(
    channels: int, kernel: int, first_kernel: int, layers: int, levels: int = 9, head=None, **options
) -> GatedPixelCNN:
    """A small backbone with weights large enough that the level distributions are far from uniform; ``options``:
    more ``GatedPixelCNN`` arguments (the context path's)."""
    torch.manual_seed(channels * 100 + kernel * 10 + layers)
    backbone = GatedPixelCNN(
        channels, levels, layers, hidden_channels=12, kernel_size=kernel, first_kernel_size=first_kernel,
        skip_channels=9, output_hidden=15, head=head, **options,
    )  # fmt: skip
    with torch.no_grad():
        for parameter in backbone.parameters():
            parameter.normal_(0.0, 0.4)
    return backbone.eval()


def biases_of(kind: str, backbone: GatedPixelCNN, n: int) -> list[torch.Tensor] | None:
    """Per-layer biases of each conditioning kind: none, a vector (B,4h,1,1), a map (B,4h,H,W), one row (B,4h,H,1)."""
    generator = torch.Generator().manual_seed(7)
    layers, channels = backbone.num_layers, backbone.cond_channels
    if kind == "none":
        return None
    if kind == "vector":
        conditioner = VectorConditioner(layers, channels, cond_dim=5)
        return conditioner(torch.randn(n, 5, generator=generator))
    shape = {"map": (HEIGHT, WIDTH), "rows": (HEIGHT, 1), "cols": (1, WIDTH)}[kind]
    return [torch.randn(n, channels, *shape, generator=generator) for _ in range(layers)]


CASES = [
    # channels, kernel, first kernel, layers, conditioning
    (3, 3, 3, 3, "none"),
    (1, 3, 5, 4, "none"),
    (3, 5, 7, 3, "vector"),
    (1, 5, 5, 2, "vector"),
    (3, 3, 5, 4, "map"),
    (1, 5, 3, 3, "map"),
    (3, 5, 5, 2, "rows"),
    (3, 3, 3, 2, "cols"),
]


def perturb_cache(monkeypatch: pytest.MonkeyPatch, scale: float) -> None:
    """Make every cached head parameter (the softmax head's: logit) off by ~``scale`` (Gaussian noise), so draws
    near a CDF boundary need the fallback."""
    exact_step = GenerationCache.step
    generator = torch.Generator().manual_seed(0)

    def perturbed(self, j, c):
        params = exact_step(self, j, c)
        return params + scale * torch.randn(params.shape, generator=generator)

    monkeypatch.setattr(GenerationCache, "step", perturbed)


def cached_logits(cache: GenerationCache, x: torch.Tensor, i: int, j: int, c: int) -> torch.Tensor:
    """Logits (n, K) of sub-pixel (c, i, j) from the cache's head parameters there."""
    cache.load(x, i, j, c)
    return cache.backbone.head_out.channel_logits(cache.step(j, c)[: x.shape[0]], x[:, :, i, j], c)


@pytest.mark.parametrize(("channels", "kernel", "first_kernel", "layers", "cond"), CASES)
def test_cached_logits_equal_a_full_pass_at_every_sub_pixel(channels, kernel, first_kernel, layers, cond) -> None:
    """Fed an image sub-pixel by sub-pixel (later ones zeroed, as while sampling), the cache gives the logits of
    one full forward pass on the whole image at every sub-pixel, up to float32 rounding."""
    backbone = random_backbone(channels, kernel, first_kernel, layers)
    n = 2
    biases = biases_of(cond, backbone, n)
    x = torch.randint(0, backbone.num_levels, (n, channels, HEIGHT, WIDTH), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        full = backbone(x, biases)
    cache = GenerationCache(backbone, n, HEIGHT, WIDTH, biases)
    seen = torch.zeros_like(x)
    cached = torch.full_like(full, float("nan"))
    for i in range(HEIGHT):
        cache.start_row(i, seen)
        for j in range(WIDTH):
            for c in range(channels):
                cached[:, :, c, i, j] = cached_logits(cache, seen, i, j, c)
                seen[:, c, i, j] = x[:, c, i, j]
    assert full.abs().max() > 1.0  # logits far from zero: a wrong cache cannot hide in rounding
    torch.testing.assert_close(cached, full, rtol=0, atol=2e-5)


@pytest.mark.parametrize(("channels", "kernel", "first_kernel", "layers", "cond"), CASES)
def test_cached_and_naive_sampling_give_identical_images(channels, kernel, first_kernel, layers, cond) -> None:
    backbone = random_backbone(channels, kernel, first_kernel, layers)
    n, shape = 2, (channels, HEIGHT, WIDTH)
    biases = biases_of(cond, backbone, n)
    naive = sample_naive(lambda x: backbone(x, biases), n, shape, seed=11)
    stats = SamplingStats()
    cached = sample_cached(backbone, n, shape, seed=11, cond=biases, stats=stats)
    assert torch.equal(cached, naive)
    assert len(naive.unique()) > 3  # the samples are not all one level
    assert stats.sub_pixels == naive.numel() and stats.recomputed <= 2
    # Without any full-pass safeguard the cache alone already gives the same images.
    assert torch.equal(sample_cached(backbone, n, shape, seed=11, cond=biases, tolerance=0), naive)
    assert not torch.equal(sample_cached(backbone, n, shape, seed=12, cond=biases), naive)


def assert_cache_gives_full_logits(
    backbone: GatedPixelCNN, x: torch.Tensor, biases: list[torch.Tensor] | None, atol: float = 1e-4
) -> None:
    """Fed x (n,C,H,W) sub-pixel by sub-pixel (later ones zeroed, as while sampling), the cache gives the logits of
    one full forward pass on x at every sub-pixel."""
    n, channels, height, width = x.shape
    with torch.no_grad():
        full = backbone(x, biases)
    cache = GenerationCache(backbone, n, height, width, biases)
    seen = torch.zeros_like(x)
    for i in range(height):
        cache.start_row(i, seen)
        for j in range(width):
            for c in range(channels):
                torch.testing.assert_close(cached_logits(cache, seen, i, j, c), full[:, :, c, i, j], rtol=0, atol=atol)
                seen[:, c, i, j] = x[:, c, i, j]


MIXTURE = functools.partial(LogisticMixtureHead, num_mixtures=3)
MIXTURE_CASES = [(3, 3, 5, 3, "none"), (3, 5, 3, 2, "map"), (1, 3, 3, 3, "vector"), (2, 3, 3, 2, "rows")]


@pytest.mark.parametrize(("channels", "kernel", "first_kernel", "layers", "cond"), MIXTURE_CASES)
def test_mixture_head_cached_logits_and_samples_equal_naive(channels, kernel, first_kernel, layers, cond) -> None:
    """The cache computes channel c's mixture at one pixel from the drawn channels < c: the full pass's logits at
    every sub-pixel, and so the naive sampler's images (K=64, so many levels are drawn)."""
    backbone = random_backbone(channels, kernel, first_kernel, layers, levels=64, head=MIXTURE)
    n, shape = 3, (channels, HEIGHT, WIDTH)
    biases = biases_of(cond, backbone, n)
    assert_cache_gives_full_logits(
        backbone, torch.randint(0, 64, (n, *shape), generator=torch.Generator().manual_seed(1)), biases
    )
    naive = sample_naive(lambda y: backbone(y, biases), n, shape, seed=5)
    stats = SamplingStats()
    assert torch.equal(sample_cached(backbone, n, shape, seed=5, cond=biases, stats=stats), naive)
    assert len(naive.unique()) > 10 and stats.recomputed <= 2 * n  # few image sub-pixels near a CDF boundary


def test_mixture_model_sample_fast_and_naive_agree() -> None:
    torch.manual_seed(0)
    head = {"_target_": "pixelcnn.nn.heads.LogisticMixtureHead", "num_mixtures": 2}
    model = ClassConditionalPixelCNN((3, 4, 4), 32, num_classes=3, backbone=TINY_BACKBONE, head=head)
    labels = torch.tensor([0, 2, 1])
    fast = model.sample(3, cond=labels, seed=1, batch_size=2)
    assert torch.equal(fast, model.sample(3, cond=labels, seed=1, fast=False))


def test_a_draw_near_a_cdf_boundary_takes_the_full_pass_logits(monkeypatch: pytest.MonkeyPatch) -> None:
    """A cache that is off by 1e-2 in every logit still gives the naive images: every uniform within the
    tolerance of a CDF boundary is resolved with a full pass, and the error seen raises the tolerance."""
    backbone = random_backbone(3, 3, 3, 2)
    shape = (3, HEIGHT, WIDTH)
    naive = sample_naive(lambda x: backbone(x), 4, shape, seed=3)
    perturb_cache(monkeypatch, 1e-2)
    assert not torch.equal(sample_cached(backbone, 4, shape, seed=3, tolerance=0), naive)
    stats = SamplingStats()
    assert torch.equal(sample_cached(backbone, 4, shape, seed=3, tolerance=0.05, stats=stats), naive)
    assert 0 < stats.recomputed < naive.numel()
    assert 1e-3 < stats.max_cdf_error < 0.05


def test_every_sub_pixel_can_be_resolved_by_a_full_pass() -> None:
    backbone = random_backbone(1, 3, 3, 2)
    stats = SamplingStats()
    naive = sample_naive(lambda x: backbone(x), 2, (1, 4, 3), seed=0)
    assert torch.equal(sample_cached(backbone, 2, (1, 4, 3), seed=0, tolerance=1.0, stats=stats), naive)
    assert stats.recomputed == 24


@pytest.mark.parametrize("channels", [1, 3])
def test_model_sample_fast_and_naive_agree_unconditional(channels: int) -> None:
    torch.manual_seed(0)
    model = PixelCNN((channels, 4, 5), 16, backbone=TINY_BACKBONE)
    fast = model.sample(3, seed=4)
    assert fast.shape == (3, channels, 4, 5) and fast.dtype == torch.long
    assert torch.equal(fast, model.sample(3, seed=4, fast=False))
    # Each image has its own uniforms: the images do not depend on the sampling batch size.
    assert torch.equal(fast, model.sample(3, seed=4, batch_size=2))
    assert torch.equal(fast, model.sample(3, seed=4, fast=False, batch_size=1))
    assert model.sample(0).shape == (0, channels, 4, 5)


def test_model_sample_fast_and_naive_agree_class_conditional(capsys: pytest.CaptureFixture[str]) -> None:
    torch.manual_seed(0)
    model = ClassConditionalPixelCNN((3, 4, 4), 8, num_classes=3, backbone=TINY_BACKBONE)
    model.train()
    labels = torch.tensor([0, 2, 1, 2])
    fast = model.sample(4, cond=labels, seed=1, progress=True, batch_size=3)
    assert model.training  # sampling ran in eval mode and restored the mode
    assert "images/s" in capsys.readouterr().err
    assert torch.equal(fast, model.sample(4, cond=labels, seed=1, fast=False))


def test_on_row_is_called_once_per_row() -> None:
    backbone = random_backbone(1, 3, 3, 2)
    rows: list[int] = []
    sample_cached(backbone, 1, (1, 4, 3), seed=0, on_row=rows.append)
    sample_naive(lambda x: backbone(x), 1, (1, 4, 3), seed=0, on_row=rows.append)
    assert rows == [0, 1, 2, 3, 0, 1, 2, 3]


def test_figures_take_the_sampling_options_of_the_sampling_config(make_config, tmp_path) -> None:
    """The ``sampling`` group (fast, batch_size, progress, capture) reaches model.sample when figures are drawn; the
    images do not depend on it (tests above)."""
    from hydra.utils import instantiate

    torch.manual_seed(0)
    model = PixelCNN((1, 4, 4), 5, backbone=TINY_BACKBONE)
    cfg = make_config("sampling.fast=false", "sampling.batch_size=2", "sampling.progress=false", name="eval")
    sampling = dict(cfg.sampling)
    assert sampling == {"fast": False, "batch_size": 2, "progress": False, "capture": "auto"}
    default = {"fast": True, "batch_size": None, "progress": True, "capture": "auto"}
    assert dict(make_config(name="eval").sampling) == default
    assert dict(make_config(name="train").sampling)["progress"] is True  # the final figures after training too
    calls: list[dict] = []
    original = PixelCNN.sample

    def recorded(self, n, **kwargs):
        calls.append(kwargs)
        return original(self, n, **kwargs)

    figures = [SampleGrid(num_samples=3, seed=2)]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(PixelCNN, "sample", recorded)
        paths = draw_figures(figures, model, None, tmp_path, sampling)
    assert paths["samples"].is_file()
    assert calls == [{"seed": 2, **sampling}]
    configured = instantiate(cfg.figures.samples)
    assert isinstance(configured, SampleGrid) and configured.seed == cfg.seed
