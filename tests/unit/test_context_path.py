"""The multi-scale context path (``GatedPixelCNN(context_scales=...)``): causal, a view of every row above, cached
sampling still the naive images (both heads, every conditioning kind, static buffers, the exactness fallback), off by
default so old checkpoints load, and counted in parameters and FLOPs."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

import pixelcnn
from pixelcnn.checkpoints.registry import qualified_name
from pixelcnn.errors import ConfigValueError
from pixelcnn.models import ClassConditionalPixelCNN, PixelCNN
from pixelcnn.nn import GatedPixelCNN
from pixelcnn.sampling import SamplingStats, SeededNoise, sample_cached, sample_images, sample_naive
from tests.helpers import TINY_BACKBONE
from tests.unit.test_cached_sampling import assert_cache_gives_full_logits, biases_of, perturb_cache, random_backbone
from tests.unit.test_causality import MIXTURE, assert_causal, influence

HEIGHT, WIDTH = 7, 5  # taller than the stack's own reach, odd sizes for the stride-2 scales
CONTEXT = {"context_scales": 2, "context_channels": 6}


def context_backbone(channels: int, levels: int = 9, head=None, layers: int = 2, **context) -> GatedPixelCNN:
    """A small backbone with the context path and large random weights (its zero-initialised biases included)."""
    return random_backbone(channels, 3, 3, layers, levels, head, **(context or CONTEXT))


def biases_for(kind: str, backbone: GatedPixelCNN, n: int) -> list[torch.Tensor] | None:
    """``biases_of``'s kinds; a bias map (B, 4h, H, W) of this file's image size."""
    if kind != "map":
        return biases_of(kind, backbone, n)
    generator = torch.Generator().manual_seed(7)
    return [torch.randn(n, backbone.cond_channels, HEIGHT, WIDTH, generator=generator) for _ in backbone.blocks]


@pytest.mark.parametrize(("channels", "scales", "head"), [(1, 1, None), (3, 2, None), (2, 3, MIXTURE)])
def test_the_context_path_is_causal(channels: int, scales: int, head) -> None:
    net = context_backbone(channels, 4, head, context_scales=scales, context_channels=5).double()
    x = torch.randint(0, 4, (1, channels, 6, 5), generator=torch.Generator().manual_seed(0))
    assert_causal(influence(net, x, 4))


def test_the_last_row_sees_the_first_through_the_context_path() -> None:
    """One gated layer of 3x3 filters reaches two rows up; with the context path the last row reads the first."""
    layers = {"layers": 1, "context_scales": 2, "context_channels": 6}
    with_context, alone = context_backbone(1, **layers), context_backbone(1, layers=1, context_scales=0)
    x = torch.randint(0, 9, (1, 1, HEIGHT, WIDTH), generator=torch.Generator().manual_seed(0))
    changed = x.clone()
    changed[0, 0, 0] = (changed[0, 0, 0] + 1) % 9
    with torch.no_grad():
        assert (with_context(changed) - with_context(x))[..., -1, :].abs().amax() > 1e-3
        assert torch.equal(alone(changed)[..., -1, :], alone(x)[..., -1, :])
    assert alone.rows_above == 2 and with_context.rows_above >= HEIGHT


@pytest.mark.parametrize(("cond", "head"), [("none", None), ("vector", None), ("map", None), ("none", MIXTURE)])
def test_cached_logits_equal_a_full_pass_at_every_sub_pixel(cond: str, head) -> None:
    backbone = context_backbone(3, 64 if head else 9, head)
    n = 2
    biases = biases_for(cond, backbone, n)
    x = torch.randint(0, backbone.num_levels, (n, 3, HEIGHT, WIDTH), generator=torch.Generator().manual_seed(1))
    assert_cache_gives_full_logits(backbone, x, biases)


@pytest.mark.parametrize(("cond", "head"), [("none", None), ("map", None), ("none", MIXTURE), ("vector", MIXTURE)])
def test_cached_and_static_buffer_sampling_give_the_naive_images(cond: str, head) -> None:
    backbone = context_backbone(3, 64 if head else 9, head)
    n, shape = 3, (3, HEIGHT, WIDTH)
    biases = biases_for(cond, backbone, n)
    naive = sample_naive(lambda x: backbone(x, biases), n, shape, seed=11)
    assert torch.equal(sample_cached(backbone, n, shape, seed=11, cond=biases), naive)
    noise = SeededNoise(shape, 11)
    assert torch.equal(sample_images(backbone, noise, n, shape, biases, batch_size=2, capture=True), naive)
    assert len(naive.unique()) > 3


@pytest.mark.parametrize("head", [None, {"_target_": "pixelcnn.nn.heads.LogisticMixtureHead", "num_mixtures": 2}])
def test_class_conditional_model_with_the_context_path_samples_the_naive_images(head) -> None:
    torch.manual_seed(0)
    model = ClassConditionalPixelCNN((3, 5, 4), 16, num_classes=3, backbone={**TINY_BACKBONE, **CONTEXT}, head=head)
    with torch.no_grad():
        for parameter in model.net.backbone.context.parameters():
            parameter.normal_(0.0, 0.4)
    labels = torch.tensor([0, 2, 1])
    fast = model.sample(3, cond=labels, seed=1, batch_size=2)
    assert torch.equal(fast, model.sample(3, cond=labels, seed=1, fast=False))


def test_the_fallback_pass_reads_every_row_above() -> None:
    """``pixel_logits`` (the exactness fallback's pass) is the full pass's at every pixel of a tall image."""
    backbone = context_backbone(2, layers=1)
    x = torch.randint(0, 9, (2, 2, HEIGHT, WIDTH), generator=torch.Generator().manual_seed(0))
    biases = biases_for("map", backbone, 2)
    with torch.no_grad():
        full = backbone(x, biases)
        for i in range(HEIGHT):
            for j in range(WIDTH):
                torch.testing.assert_close(backbone.pixel_logits(x, biases, i, j), full[..., i, j], rtol=0, atol=1e-5)


def test_a_perturbed_cache_still_gives_the_naive_images(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every draw near a CDF boundary is resolved by the fallback pass, which must read the whole context."""
    backbone = context_backbone(3, layers=1)
    shape = (3, HEIGHT, WIDTH)
    naive = sample_naive(lambda x: backbone(x), 4, shape, seed=3)
    perturb_cache(monkeypatch, 0.1)
    assert not torch.equal(sample_cached(backbone, 4, shape, seed=3, tolerance=0), naive)
    stats = SamplingStats()
    assert torch.equal(sample_cached(backbone, 4, shape, seed=3, tolerance=0.2, stats=stats), naive)
    assert stats.recomputed > naive.numel() // 2  # most draws come from the fallback pass


@pytest.mark.parametrize("context", [{}, CONTEXT], ids=["old", "context"])
def test_checkpoints_load_with_and_without_the_context_path(context: dict, tmp_path: Path) -> None:
    """A checkpoint whose hyper-parameters name no context key (all written before it) loads strictly, without
    the path; one with it loads with it, with the same logits."""
    torch.manual_seed(0)
    model = PixelCNN((1, 6, 6), 9, backbone={**TINY_BACKBONE, **context}).eval()
    saved = {
        "state_dict": model.state_dict(),
        "model_target": qualified_name(type(model)),
        "hyper_parameters": dict(model.hparams),
    }
    torch.save(saved, tmp_path / "model.ckpt")
    loaded = pixelcnn.load_model(tmp_path / "model.ckpt")
    assert (loaded.net.backbone.context is None) == (not context)
    x = torch.randint(0, 9, (2, 1, 6, 6), generator=torch.Generator().manual_seed(1))
    assert torch.equal(loaded(x), model(x))


def test_parameters_and_flops_count_the_context_path() -> None:
    torch.manual_seed(0)
    plain = PixelCNN((3, 8, 8), 16, backbone=TINY_BACKBONE)
    torch.manual_seed(0)
    wide = PixelCNN((3, 8, 8), 16, backbone={**TINY_BACKBONE, **CONTEXT})
    extra = sum(p.numel() for p in wide.net.backbone.context.parameters())
    assert sum(p.numel() for p in wide.parameters()) == sum(p.numel() for p in plain.parameters()) + extra
    batch = (torch.randint(0, 16, (4, 3, 8, 8)),)
    assert wide.count_flops(batch) > plain.count_flops(batch)
    # the same seed draws the same weights for everything but the context path; untrained, it adds nothing
    x = batch[0]
    assert torch.equal(wide.eval()(x), plain.eval()(x))


@pytest.mark.parametrize(("key", "value"), [("context_scales", -1), ("context_channels", 0), ("context_layers", 0),
                                            ("context_layers", 4)])  # fmt: skip
def test_a_bad_context_setting_names_its_key(key: str, value: int) -> None:
    with pytest.raises(ConfigValueError, match=f"model.backbone.{key}"):
        GatedPixelCNN(1, 4, **{**TINY_BACKBONE, **CONTEXT, key: value})


FIRST_LAYER = {**CONTEXT, "context_layers": 1}


@pytest.mark.parametrize("head", [None, MIXTURE])
def test_a_context_for_the_first_layer_only_is_causal_reaches_the_top_and_samples_the_naive_images(head) -> None:
    """``context_layers=1``: one bias map (the first layer's) instead of one per layer; the last row still reads the
    first through it, nothing reads the future, and cached sampling (with a vector bias too) gives the naive
    images."""
    backbone = context_backbone(3, 64 if head else 9, head, layers=3, **FIRST_LAYER)
    assert backbone.context.to_biases.out_channels == backbone.cond_channels
    x = torch.randint(0, backbone.num_levels, (1, 3, HEIGHT, WIDTH), generator=torch.Generator().manual_seed(0))
    assert_causal(influence(backbone.double(), x, backbone.num_levels))
    backbone.float()
    changed = x.clone()
    changed[0, 0, 0] = (changed[0, 0, 0] + 1) % backbone.num_levels
    with torch.no_grad():
        assert (backbone(changed) - backbone(x))[..., -1, :].abs().amax() > 1e-3
    n, shape = 2, (3, HEIGHT, WIDTH)
    for cond in ("none", "vector"):
        biases = biases_for(cond, backbone, n)
        naive = sample_naive(lambda x, b=biases: backbone(x, b), n, shape, seed=5)
        assert torch.equal(sample_cached(backbone, n, shape, seed=5, cond=biases), naive)
