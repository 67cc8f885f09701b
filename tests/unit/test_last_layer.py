"""The last gated layer computes no vertical output (its gate and vertical bias would be discarded): the logits are
those of the full computation, bit for bit, and parameter names and numbers are unchanged."""

from __future__ import annotations

import copy

import pytest
import torch

import pixelcnn.nn.gated_block
from pixelcnn.nn import GatedBlock, GatedPixelCNN
from pixelcnn.nn.generation import GenerationCache
from pixelcnn.nn.layers import gate
from tests.helpers import TINY_BACKBONE
from tests.helpers.biases import layer_biases

LAYERS = TINY_BACKBONE["num_layers"]


def full_computation(backbone: GatedPixelCNN) -> GatedPixelCNN:
    """The same weights with a last layer that computes all a middle layer does (its vertical gate and residual
    1x1, unused): the network as it was before the last layer skipped them."""
    reference = copy.deepcopy(backbone)
    last = reference.blocks[-1]
    full = GatedBlock(
        in_channels=last.v_conv.conv.in_channels, hidden_channels=last.hidden_channels,
        skip_channels=last.skip.conv.out_channels, kernel_size=2 * last.v_conv.pad + 1,
        image_channels=backbone.image_channels,
        first=False, last=False,
    )  # fmt: skip
    missing, unexpected = full.load_state_dict(last.state_dict(), strict=False)
    assert missing == ["h_out.conv.weight", "h_out.conv.bias"] and not unexpected
    reference.blocks[-1] = full
    return reference.eval()


def counting(monkeypatch: pytest.MonkeyPatch, module: object) -> list[int]:
    calls: list[int] = []

    def counted(x: torch.Tensor, dim: int = 1) -> torch.Tensor:
        calls.append(1)
        return gate(x, dim)

    monkeypatch.setattr(module, "gate", counted)
    return calls


@pytest.mark.parametrize("conditioned", [False, True])
def test_logits_equal_the_full_computation(conditioned: bool) -> None:
    torch.manual_seed(0)
    backbone = GatedPixelCNN(3, 16, **TINY_BACKBONE).eval()
    x = torch.randint(0, 16, (2, 3, 6, 5))
    cond = layer_biases(backbone, 2, (6, 5)) if conditioned else None
    whole = None  # the reference's last layer takes a whole bias: any vertical half, its output is discarded
    if cond is not None:
        whole = [*cond[:-1], torch.cat([torch.randn_like(cond[-1]), cond[-1]], dim=1)]
    with torch.no_grad():
        assert torch.equal(backbone.head_params(x, cond), full_computation(backbone).head_params(x, whole))


def test_the_last_layer_gates_only_its_horizontal_stack(monkeypatch: pytest.MonkeyPatch) -> None:
    backbone = GatedPixelCNN(1, 4, **TINY_BACKBONE)
    calls = counting(monkeypatch, pixelcnn.nn.gated_block)
    backbone(torch.zeros(1, 1, 4, 4, dtype=torch.long))
    assert len(calls) == 2 * LAYERS - 1
    # the same parameters as before (checkpoints load unchanged): the last layer still has its vertical conv
    names = [n for n, _ in backbone.blocks[-1].named_parameters()]
    assert names == [
        "v_conv.conv.weight", "v_conv.conv.bias", "h_conv.conv.weight", "h_conv.conv.bias", "v_to_h.weight",
        "v_to_h.bias", "skip.conv.weight", "skip.conv.bias",
    ]  # fmt: skip


def test_the_cached_sampler_advances_no_vertical_gate_of_the_last_layer(monkeypatch: pytest.MonkeyPatch) -> None:
    backbone = GatedPixelCNN(1, 4, **TINY_BACKBONE).eval()
    cache = GenerationCache(backbone, 2, 4, 4)
    x = torch.zeros(2, 1, 4, 4, dtype=torch.long)
    cache.start_row(0, x)
    calls = counting(monkeypatch, pixelcnn.nn.gated_block)
    cache.start_row(1, x)
    assert len(calls) == LAYERS - 1
