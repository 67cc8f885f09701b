"""The output heads: the logistic mixture is an exact distribution over K levels, safe at extreme parameters, and
behaves like the softmax everywhere the model uses logits; the softmax head is the paper's head, unchanged."""

from __future__ import annotations

import functools
import math

import pytest
import torch
from scipy import stats

from pixelcnn.metrics import BitsPerDim
from pixelcnn.models import PixelCNN
from pixelcnn.nn import GatedPixelCNN, LogisticMixtureHead, SoftmaxHead
from pixelcnn.nn.heads import logistic_bin_log_prob
from pixelcnn.nn.masks import channel_groups
from pixelcnn.nn.scale import levels_to_signed
from tests.helpers import TINY_BACKBONE

MIXTURE = {"_target_": "pixelcnn.nn.heads.LogisticMixtureHead", "num_mixtures": 3}


def mixture_head(channels: int, levels: int, mixtures: int) -> LogisticMixtureHead:
    return LogisticMixtureHead(8, channel_groups(8, channels), channels, levels, num_mixtures=mixtures).double()


def extreme_params(head: LogisticMixtureHead, n: int, seed: int) -> torch.Tensor:
    """(n, P) float64 block of one channel: mixture logits up to +-60, means far outside [-1, 1], log scales in
    [-40, 40] (beyond the clamp both ways), coefficients up to +-10."""
    generator = torch.Generator().manual_seed(seed)
    m = head.num_mixtures
    params = torch.empty(n, head.params_per_channel, dtype=torch.float64)
    params[:, :m] = 60 * (2 * torch.rand(n, m, generator=generator, dtype=torch.float64) - 1)
    params[:, m : 2 * m] = 4 * torch.randn(n, m, generator=generator, dtype=torch.float64)
    params[:, 2 * m : 3 * m] = 80 * torch.rand(n, m, generator=generator, dtype=torch.float64) - 40
    params[:, 3 * m :] = 10 * torch.randn(n, params.shape[1] - 3 * m, generator=generator, dtype=torch.float64)
    return params


@pytest.mark.parametrize(("channels", "levels", "mixtures"), [(3, 256, 10), (1, 2, 1), (3, 17, 4), (2, 5, 7)])
def test_every_conditional_sums_to_one_over_the_levels(channels: int, levels: int, mixtures: int) -> None:
    head = mixture_head(channels, levels, mixtures)
    pixels = torch.randint(0, levels, (400, channels), generator=torch.Generator().manual_seed(1))
    for c in range(channels):
        log_probs = head.channel_logits(extreme_params(head, 400, seed=c), pixels, c)
        assert log_probs.shape == (400, levels) and log_probs.dtype == torch.float64
        assert torch.isfinite(log_probs).all()  # no bin underflows to log(0), however sharp or flat
        torch.testing.assert_close(log_probs.exp().sum(-1), torch.ones(400, dtype=torch.float64), rtol=0, atol=1e-12)


def test_bins_are_exact_at_any_scale_in_float64() -> None:
    """Unclamped log scales from -30 to 30: the K bins sum to 1, are finite, and equal the CDF differences."""
    levels = 256
    level = torch.arange(levels)
    centers = levels_to_signed(level, levels, torch.float64)
    log_scale = torch.linspace(-30, 30, 61, dtype=torch.float64)[:, None]
    mean = torch.linspace(-1.5, 1.5, 61, dtype=torch.float64)[:, None]
    log_p = logistic_bin_log_prob(level, mean, log_scale, levels)
    assert torch.isfinite(log_p).all()
    torch.testing.assert_close(log_p.exp().sum(-1), torch.ones(61, dtype=torch.float64), rtol=0, atol=1e-12)
    # against the textbook CDF difference, where that one is well conditioned (moderate scales)
    scale = log_scale.exp()
    edges = torch.cat([torch.tensor([-math.inf]), centers[:-1] + 1 / (levels - 1), torch.tensor([math.inf])])
    cdf = torch.sigmoid((edges - mean) / scale)
    direct = cdf[:, 1:] - cdf[:, :-1]
    moderate = (log_scale[:, 0] > -5) & (log_scale[:, 0] < 5)
    torch.testing.assert_close(log_p.exp()[moderate], direct[moderate], rtol=1e-9, atol=1e-15)


def test_extreme_parameters_give_finite_float32_values_and_gradients() -> None:
    head = mixture_head(3, 256, 5).float()
    params = extreme_params(head.double(), 64, seed=3).float().requires_grad_()
    pixels = torch.randint(0, 256, (64, 3))
    log_probs = head.float().channel_logits(params, pixels, 2)
    assert torch.isfinite(log_probs).all()
    torch.testing.assert_close(log_probs.double().exp().sum(-1), torch.ones(64, dtype=torch.float64), atol=1e-5, rtol=0)
    log_probs.gather(1, pixels[:, 2:]).sum().backward()
    assert torch.isfinite(params.grad).all()


def test_channel_means_are_linear_in_earlier_channels_of_the_pixel_only() -> None:
    """The G mean moves with R, the B mean with R and G; no channel's distribution depends on itself or later ones."""
    head = mixture_head(3, 32, 2)
    params = extreme_params(head, 1, seed=5).clamp(-3, 3)
    base = torch.tensor([[4, 9, 20]])
    for c in range(3):
        for changed in range(3):
            other = base.clone()
            other[0, changed] = 30
            moved = not torch.equal(head.channel_logits(params, base, c), head.channel_logits(params, other, c))
            assert moved == (changed < c), (c, changed)


def test_nll_is_the_cross_entropy_of_the_logits_and_uniform_mixtures_give_log2_k() -> None:
    torch.manual_seed(0)
    levels = 4
    model = PixelCNN((3, 4, 4), levels, backbone=TINY_BACKBONE, head={**MIXTURE, "num_mixtures": levels}).double()
    x = torch.randint(0, levels, (3, 3, 4, 4))
    cross_entropy = torch.nn.functional.cross_entropy(model(x), x, reduction="none").flatten(1).sum(1)
    torch.testing.assert_close(model.nll(x), cross_entropy, rtol=1e-10, atol=1e-10)
    # one sharp component on each level, equal weights: p(k) = 1/K for every sub-pixel, whatever the image
    head = model.backbone.head_out
    block = torch.zeros(head.params_per_channel, dtype=torch.float64)
    block[levels : 2 * levels] = levels_to_signed(torch.arange(levels), levels, torch.float64)
    block[2 * levels : 3 * levels] = -20.0  # clamped to the smallest scale
    with torch.no_grad():
        head.conv.weight.zero_()
        head.conv.bias.copy_(block.repeat(3))
    metric = BitsPerDim()
    metric.update(model.nll(x), model.num_dims)
    assert float(metric.compute()) == pytest.approx(math.log2(levels), abs=1e-12)


def test_sampled_frequencies_match_the_mixture_probabilities() -> None:
    """A 2-channel pixel with K=5: the 25 joint frequencies of 6000 cached samples against p(x0) p(x1 | x0)."""
    torch.manual_seed(3)
    levels, n = 5, 6000
    model = PixelCNN((2, 1, 1), levels, backbone=TINY_BACKBONE, head={**MIXTURE, "num_mixtures": 2}).eval()
    with torch.no_grad():
        model.backbone.head_out.conv.bias.normal_(0.0, 1.0)
        grid = torch.cartesian_prod(torch.arange(levels), torch.arange(levels)).view(-1, 2, 1, 1)
        log_p = model(grid).log_softmax(1)[:, :, :, 0, 0]  # (25, K, 2)
        joint = (log_p[:, :, 0].gather(1, grid[:, :1, 0, 0]) + log_p[:, :, 1].gather(1, grid[:, 1:, 0, 0])).exp()
    samples = model.sample(n, seed=0)[:, :, 0, 0]
    counts = torch.bincount(samples[:, 0] * levels + samples[:, 1], minlength=levels**2).double()
    expected = joint[:, 0].double() * n
    assert float(joint.sum()) == pytest.approx(1.0, abs=1e-5) and float(joint.max()) < 0.5  # not a trivial case
    statistic, p_value = stats.chisquare(counts.numpy(), expected.numpy() / expected.sum().item() * n)
    assert p_value > 1e-3, (statistic, counts, expected)


def test_softmax_head_is_the_papers_head_with_its_old_parameter_names() -> None:
    torch.manual_seed(0)
    net = GatedPixelCNN(3, 7, **TINY_BACKBONE)
    assert isinstance(net.head_out, SoftmaxHead)
    names = {name: tuple(p.shape) for name, p in net.named_parameters() if name.startswith("head_")}
    assert names == {
        "head_hidden.conv.weight": (16, 12, 1, 1),
        "head_hidden.conv.bias": (16,),
        "head_out.conv.weight": (21, 16, 1, 1),
        "head_out.conv.bias": (21,),
    }
    x = torch.randint(0, 7, (2, 3, 4, 4))
    out = net.head_params(x)  # the last masked 1x1's output: logit c*K + k is level k of channel c
    torch.testing.assert_close(net(x), out.view(2, 3, 7, 4, 4).transpose(1, 2), rtol=0, atol=0)
    expected = -torch.nn.functional.cross_entropy(net(x), x, reduction="none")
    torch.testing.assert_close(net(x, log_prob=True), expected, rtol=0, atol=0)


def test_mixture_head_is_injected_and_stored() -> None:
    model = PixelCNN((3, 4, 4), 16, backbone=TINY_BACKBONE, head=functools.partial(LogisticMixtureHead, num_mixtures=2))
    assert model.backbone.head_out.num_mixtures == 2 and model.backbone.head_out.params_per_channel == 10
    assert model.hparams["head"] == {"_target_": "pixelcnn.nn.heads.LogisticMixtureHead", "_partial_": True,
                                     "num_mixtures": 2}  # fmt: skip
    rebuilt = PixelCNN((3, 4, 4), 16, backbone=TINY_BACKBONE, head=model.hparams["head"])
    rebuilt.load_state_dict(model.state_dict())
    x = torch.randint(0, 16, (2, 3, 4, 4))
    assert torch.equal(rebuilt(x), model(x))
    with pytest.raises(ValueError, match="num_mixtures"):
        PixelCNN((3, 4, 4), 16, backbone=TINY_BACKBONE, head={**MIXTURE, "num_mixtures": 0})
