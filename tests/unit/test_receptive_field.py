"""Influence maps: a plain masked PixelCNN has the blind spot, the gated backbone not; neither sees the future."""

from __future__ import annotations

import torch

from pixelcnn.analysis.plain import PlainPixelCNN
from pixelcnn.analysis.receptive_field import causal_past, influence_map
from pixelcnn.nn.backbone import GatedPixelCNN
from tests.helpers import TINY_BACKBONE

SHAPE = (1, 8, 8)
PIXEL = (5, 3)


def test_causal_past_is_raster_order_then_channel_order() -> None:
    past = causal_past((3, 2, 2), (1, 0), channel=1)
    assert past[:, 0].all()  # the whole row above
    assert past[:, 1, 0].tolist() == [True, False, False]  # same pixel: only R before G
    assert not past[:, 1, 1].any()


def test_plain_pixelcnn_has_the_blind_spot_and_no_future() -> None:
    torch.manual_seed(0)
    net = PlainPixelCNN(1, 17, num_layers=4, hidden_channels=16, kernel_size=3)
    seen = influence_map(net, SHAPE, 17, PIXEL) > 0
    assert not seen[~causal_past(SHAPE, PIXEL)].any()
    row, col = PIXEL
    assert seen[0, row - 1, col + 1] and seen[0, row, col - 1]
    # one row up, two columns right: unreachable however deep the stack
    assert not seen[0, row - 1, col + 2 :].any()
    assert not seen[0, row - 2, col + 3 :].any()


def test_gated_backbone_sees_the_blind_spot_and_no_future() -> None:
    torch.manual_seed(0)
    net = GatedPixelCNN(1, 17, **{**TINY_BACKBONE, "num_layers": 4})
    seen = influence_map(net, SHAPE, 17, PIXEL) > 0
    past = causal_past(SHAPE, PIXEL)
    assert not seen[~past].any()
    row, col = PIXEL
    assert seen[0, row - 1, col + 2 :].all() and seen[0, row - 2, col + 3 :].all()
    assert seen[0, row - 4 :][past[0, row - 4 :]].all()  # every earlier pixel within four rows


def test_plain_pixelcnn_keeps_rgb_order_inside_a_pixel() -> None:
    torch.manual_seed(0)
    net = PlainPixelCNN(3, 4, num_layers=3, hidden_channels=12, kernel_size=3)
    for channel in range(3):
        seen = influence_map(net, (3, 6, 6), 4, (3, 2), channel=channel) > 0
        assert seen[:, 3, 2].tolist() == [c < channel for c in range(3)]
        assert not seen[~causal_past((3, 6, 6), (3, 2), channel)].any()
