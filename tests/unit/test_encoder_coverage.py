"""The auto-encoder's code h depends on every sub-pixel of the image: no crop, stride or padding leaves one out."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch

from pixelcnn.autoencoder import ConvEncoder
from pixelcnn.models import PixelCNNAutoEncoder
from tests.helpers import TINY_BACKBONE

LEVELS = 17


def blind_sub_pixels(encode: Callable[[torch.Tensor], torch.Tensor], shape: tuple[int, int, int]) -> list[tuple]:
    """Sub-pixels (c, i, j) whose change (to the level farthest away) leaves h unchanged in each of a few random
    images. A few images, because a random-init ReLU unit can be off for one image; a pixel the encoder never
    reads is missed in all of them."""
    x = torch.randint(0, LEVELS, (4, *shape), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        base = encode(x)
        blind = []
        for c, i, j in torch.ones(shape).nonzero().tolist():
            changed = x.clone()
            changed[:, c, i, j] = torch.where(x[:, c, i, j] >= LEVELS // 2, 0, LEVELS - 1)
            if torch.equal(encode(changed), base):
                blind.append((c, i, j))
    return blind


@pytest.mark.parametrize("shape", [(1, 8, 8), (3, 8, 4)])
def test_conv_encoder_sees_every_sub_pixel(shape: tuple[int, int, int]) -> None:
    torch.manual_seed(0)
    encoder = ConvEncoder(shape, LEVELS, latent_dim=4, channels=[4, 8]).double().eval()
    assert blind_sub_pixels(encoder, shape) == []


def test_autoencoder_encode_sees_every_sub_pixel() -> None:
    torch.manual_seed(0)
    shape = (1, 8, 8)
    model = PixelCNNAutoEncoder(shape, LEVELS, latent_dim=4, encoder={"channels": [4, 8]}, backbone=TINY_BACKBONE)
    model = model.double().eval()
    assert blind_sub_pixels(model.encode, shape) == []
