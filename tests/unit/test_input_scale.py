"""One input scale for every network that reads images: level 0 -> -1.0 and level K-1 -> +1.0 exactly, linear in
between, as seen by the first layer of the backbone, both encoders and the triplet embedder."""

from __future__ import annotations

import pytest
import torch

from pixelcnn.autoencoder import ConvEncoder, TimmEncoder
from pixelcnn.embeddings import TripletEmbedder
from pixelcnn.models import PixelCNN
from tests.helpers import TINY_BACKBONE

SHAPE = (3, 16, 16)  # 16 x 16: big enough for timm's test_resnet, small enough for a quick CPU pass


def first_input(module: torch.nn.Module, layer: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    """What ``layer`` receives as its input when ``module(x)`` runs."""
    seen: list[torch.Tensor] = []
    handle = layer.register_forward_pre_hook(lambda _layer, args: seen.append(args[0].detach().clone()))
    try:
        with torch.no_grad():
            module.eval()(x)
    finally:
        handle.remove()
    return seen[0]


def readers(levels: int) -> dict[str, tuple[torch.nn.Module, list[torch.nn.Module]]]:
    """Each network that reads images and the first layer(s) that see the scaled image."""
    torch.manual_seed(0)
    backbone = PixelCNN(SHAPE, levels, backbone=TINY_BACKBONE)
    conv = ConvEncoder(SHAPE, levels, latent_dim=4, channels=[4, 8])
    timm_encoder = TimmEncoder(SHAPE, levels, latent_dim=4, model_name="test_resnet")
    embedder = TripletEmbedder(list(SHAPE), levels, backbone_name="test_resnet", embedding_dim=4)
    return {
        # the vertical and the horizontal stack both read the scaled image in the first layer
        "backbone": (backbone, [backbone.backbone.blocks[0].v_conv, backbone.backbone.blocks[0].h_conv]),
        "conv encoder": (conv, [next(m for m in conv.modules() if isinstance(m, torch.nn.Conv2d))]),
        "timm encoder": (timm_encoder, [timm_encoder.net]),
        "triplet embedder": (embedder, [embedder.network.features]),
    }


@pytest.mark.parametrize("levels", [2, 17, 42, 256])
def test_every_network_reads_levels_on_the_same_signed_scale(levels: int) -> None:
    generator = torch.Generator().manual_seed(levels)
    x = torch.randint(0, levels, (2, *SHAPE), generator=generator)
    x[0, :, :4] = 0  # both extremes are surely present
    x[1, :, -4:] = levels - 1
    expected = x.double() * 2 / (levels - 1) - 1  # linear, -1 .. +1, computed in float64
    for name, (module, layers) in readers(levels).items():
        for layer in layers:
            seen = first_input(module, layer, x)
            assert seen.shape == x.shape, name
            assert torch.all(seen[x == 0] == -1.0), f"{name}: level 0 is not -1.0"
            assert torch.all(seen[x == levels - 1] == 1.0), f"{name}: level {levels - 1} is not +1.0"
            torch.testing.assert_close(seen.double(), expected, rtol=0, atol=1e-6, msg=f"{name}: not linear")
