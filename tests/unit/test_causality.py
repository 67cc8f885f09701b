"""Causality by perturbation: a change at sub-pixel (c, i, j) changes no logit at or before it; no blind spot."""

from __future__ import annotations

import functools

import pytest
import torch

from pixelcnn.models import ClassConditionalPixelCNN, PixelCNN
from pixelcnn.nn import GatedPixelCNN, LogisticMixtureHead

MIXTURE = functools.partial(LogisticMixtureHead, num_mixtures=3)


def influence(net: torch.nn.Module, x: torch.Tensor, levels: int, **kwargs) -> torch.Tensor:
    """infl[c, i, j, c2, i2, j2] = max |logit change| at (c2, i2, j2) when sub-pixel (c, i, j) of x changes."""
    _, channels, height, width = x.shape
    base = net(x, **kwargs)
    out = torch.zeros(channels, height, width, channels, height, width, dtype=torch.float64)
    for c in range(channels):
        for i in range(height):
            for j in range(width):
                changed = x.clone()
                changed[0, c, i, j] = (changed[0, c, i, j] + 1 + int(torch.randint(levels - 1, ()))) % levels
                out[c, i, j] = (net(changed, **kwargs) - base).abs().amax(dim=1)[0].double()
    return out


def order(c: int, i: int, j: int, width: int, channels: int) -> int:
    """Position of sub-pixel (c, i, j) in the generation order: raster over pixels, R -> G -> B inside one."""
    return (i * width + j) * channels + c


def assert_causal(infl: torch.Tensor) -> None:
    channels, height, width = infl.shape[:3]
    for c in range(channels):
        for i in range(height):
            for j in range(width):
                for c2 in range(channels):
                    for i2 in range(height):
                        for j2 in range(width):
                            if order(c2, i2, j2, width, channels) <= order(c, i, j, width, channels):
                                assert infl[c, i, j, c2, i2, j2] == 0, (
                                    f"sub-pixel {(c, i, j)} leaks into the logits of {(c2, i2, j2)}"
                                )


@pytest.mark.parametrize(
    ("channels", "kernel", "layers", "height", "width", "head"),
    [
        (1, 3, 3, 6, 6, None),
        (3, 3, 3, 5, 5, None),
        (3, 5, 2, 5, 7, None),
        (2, 5, 3, 7, 4, None),
        (3, 3, 3, 5, 5, MIXTURE),
        (2, 5, 2, 4, 5, MIXTURE),
    ],
)
def test_backbone_is_causal(channels: int, kernel: int, layers: int, height: int, width: int, head) -> None:
    torch.manual_seed(channels * 100 + kernel)
    net = GatedPixelCNN(channels, 4, layers, 12, kernel, skip_channels=12, output_hidden=12, head=head)
    net = net.double().eval()
    for param in net.parameters():  # large random weights so no influence can hide in a tiny number
        torch.nn.init.normal_(param, std=0.5)
    x = torch.randint(0, 4, (1, channels, height, width))
    assert_causal(influence(net, x, 4))


@pytest.mark.parametrize("head", [None, {"_target_": "pixelcnn.nn.heads.LogisticMixtureHead", "num_mixtures": 2}])
def test_class_conditional_model_is_causal(head) -> None:
    torch.manual_seed(1)
    model = ClassConditionalPixelCNN(
        [3, 5, 5], 4, num_classes=3, backbone={"num_layers": 3, "hidden_channels": 12, "kernel_size": 3}, head=head
    )
    model = model.double().eval()
    x = torch.randint(0, 4, (1, 3, 5, 5))
    assert_causal(influence(model, x, 4, cond=torch.tensor([2])))


@pytest.mark.parametrize(("channels", "head"), [(1, None), (3, None), (3, MIXTURE)])
def test_no_blind_spot_every_earlier_subpixel_reaches_the_last(channels: int, head) -> None:
    """With enough layers, every sub-pixel before the last one influences the last logits (no blind spot)."""
    torch.manual_seed(0)
    net = GatedPixelCNN(channels, 4, num_layers=8, hidden_channels=12, kernel_size=3, skip_channels=12, head=head)
    net = net.double().eval()
    x = torch.randint(0, 4, (1, channels, 8, 8))
    infl = influence(net, x, 4)
    last = infl[..., channels - 1, 7, 7]  # (C, H, W): effect of each input sub-pixel on the last sub-pixel
    reached = last > 0
    expected = torch.ones_like(reached)
    expected[channels - 1, 7, 7] = False  # a sub-pixel never sees itself
    assert torch.equal(reached, expected), f"blind spot at {(~reached & expected).nonzero().tolist()}"


def test_vertical_stack_never_leaks_the_current_row() -> None:
    """The classic bug: a pixel to the right in the same row must not reach the horizontal stack via the link."""
    torch.manual_seed(0)
    net = GatedPixelCNN(1, 4, num_layers=4, hidden_channels=8, kernel_size=5, skip_channels=8).double().eval()
    x = torch.randint(0, 4, (1, 1, 6, 6))
    base = net(x)
    changed = x.clone()
    changed[0, 0, 3, 5] = (changed[0, 0, 3, 5] + 1) % 4  # right end of row 3
    diff = (net(changed) - base).abs().amax(dim=1)[0, 0]
    assert torch.all(diff[3, :] == 0) and torch.all(diff[:3] == 0)
    assert diff[4:].abs().sum() > 0


def test_unconditional_model_has_no_conditioner_and_refuses_cond() -> None:
    model = PixelCNN([1, 4, 4], 3, backbone={"num_layers": 1, "hidden_channels": 4})
    assert model.conditioner is None
    with pytest.raises(ValueError, match="unconditional"):
        model(torch.zeros(1, 1, 4, 4, dtype=torch.long), cond=torch.tensor([0]))
