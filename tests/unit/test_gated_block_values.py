"""The gated block's arithmetic against hand-computed values of the paper's equations (van den Oord et al. 2016,
Eq. 2 / Fig. 2). The cached sampler runs the block's own ``vertical`` / ``horizontal`` (tests/unit/
test_cached_sampling.py), so a wrong equation would still give equal cached and naive images: this test catches it."""

from __future__ import annotations

import math

import torch

from pixelcnn.nn import GatedBlock
from pixelcnn.nn.layers import gate


def sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def test_gate_is_tanh_of_the_first_half_times_sigmoid_of_the_second() -> None:
    expected = math.tanh(0.5) * sigmoid(-1.0)  # 0.124282...
    assert abs(expected - 0.1242824451) < 1e-9
    assert torch.allclose(gate(torch.tensor([[0.5, -1.0]]), dim=-1), torch.tensor([[expected]]))
    assert torch.allclose(gate(torch.tensor([0.5, -1.0]).view(1, 2, 1, 1)), torch.tensor(expected))


def test_one_pixel_through_a_block_with_set_weights() -> None:
    """One 1x1 image, one feature, all kernels zero except the 1x1s: v' = gate(c_v), h' = h + 2 gate(b_h + link) +
    0.1 with the link at row 0 the bias of the 1x1 (shift_down feeds it zeros), skip = -gate(b_h + link)."""
    block = GatedBlock(1, 1, 1, kernel_size=1, image_channels=1, first=False).eval()
    with torch.no_grad():
        for parameter in block.parameters():
            parameter.zero_()
        block.v_conv.conv.bias.copy_(torch.tensor([0.5, -1.0]))
        block.h_conv.conv.bias.copy_(torch.tensor([1.0, 2.0]))
        block.v_to_h.bias.copy_(torch.tensor([0.25, -0.5]))
        block.h_out.conv.weight.fill_(2.0)
        block.h_out.conv.bias.fill_(0.1)
        block.skip.conv.weight.fill_(-1.0)
        x = torch.full((1, 1, 1, 1), 0.3)
        v, h, skip = block(x, x)
    gated = math.tanh(1.25) * sigmoid(1.5)  # 0.693535...
    assert abs(v.item() - math.tanh(0.5) * sigmoid(-1.0)) < 1e-6
    assert abs(h.item() - (0.3 + 2 * gated + 0.1)) < 1e-6  # 1.787070...
    assert abs(skip.item() + gated) < 1e-6
