"""The last gated layer computes no vertical output (its gate and vertical bias would be discarded): the logits are
those of the full computation, bit for bit, and parameter names and numbers are unchanged."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

import pixelcnn.nn.gated_block
import pixelcnn.sampling.cache
from pixelcnn.nn import GatedPixelCNN
from pixelcnn.nn.layers import gate, shift_down
from pixelcnn.sampling.cache import GenerationCache
from tests.helpers import TINY_BACKBONE

LAYERS = TINY_BACKBONE["num_layers"]


def full_head_params(backbone: GatedPixelCNN, x: torch.Tensor, cond: list[torch.Tensor] | None) -> torch.Tensor:
    """The head's input as every layer computed it before: all of v, h and skip in every layer, unused ones too."""
    v = h = backbone.scale_input(x)
    skip_sum = 0.0
    for i, block in enumerate(backbone.blocks):
        v_pre = block.v_conv(v)
        h_pre = block.h_conv(h) + block.v_to_h(shift_down(v_pre))
        if cond is not None:
            cond_v, cond_h = cond[i].chunk(2, dim=1)
            v_pre, h_pre = v_pre + cond_v, h_pre + cond_h
        h_gated = block.dropout(gate(h_pre))
        if block.h_out is not None:
            h = block.h_out(h_gated) + h if block.residual else block.h_out(h_gated)
        v = gate(v_pre)
        skip_sum = skip_sum + block.skip(h_gated)
    return backbone.head_out(F.relu(backbone.head_hidden(F.relu(skip_sum))))


def counting(monkeypatch: pytest.MonkeyPatch, module: object) -> list[int]:
    calls: list[int] = []

    def counted(x: torch.Tensor) -> torch.Tensor:
        calls.append(1)
        return gate(x)

    monkeypatch.setattr(module, "gate", counted)
    return calls


@pytest.mark.parametrize("conditioned", [False, True])
def test_logits_equal_the_full_computation(conditioned: bool) -> None:
    torch.manual_seed(0)
    backbone = GatedPixelCNN(3, 16, **TINY_BACKBONE).eval()
    x = torch.randint(0, 16, (2, 3, 6, 5))
    cond = [torch.randn(2, backbone.cond_channels, 6, 5) for _ in range(LAYERS)] if conditioned else None
    with torch.no_grad():
        assert torch.equal(backbone.head_params(x, cond), full_head_params(backbone, x, cond))


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
    calls = counting(monkeypatch, pixelcnn.sampling.cache)
    cache.start_row(1, x)
    assert len(calls) == LAYERS - 1
