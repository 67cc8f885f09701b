"""Conditioning reaches both halves of both gates (Eq. 4 / Eq. 5: tanh(W_f * x + V_f^T h) * sigma(W_g * x + V_g^T h))
in every layer, for every conditioner, through the models' public forward."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch

from pixelcnn.models import (
    ClassConditionalPixelCNN,
    EmbeddingConditionalPixelCNN,
    PixelCNNAutoEncoder,
    PixelCNNModule,
    SpatialConditionalPixelCNN,
)
from tests.helpers import TINY_BACKBONE

SHAPE, LEVELS, COND_DIM = (3, 4, 5), 4, 5
# A layer's bias (B, 4*hidden, 1|H, 1|W) is split into vertical | horizontal halves, each into tanh | sigmoid halves
# (GatedBlock.forward: cond.chunk(2) -> cond_v, cond_h; layers.gate: pre.chunk(2) -> f (tanh), g (sigmoid)).
QUARTERS = ["vertical tanh", "vertical sigmoid", "horizontal tanh", "horizontal sigmoid"]


def class_model() -> tuple[PixelCNNModule, torch.Tensor]:
    return ClassConditionalPixelCNN(SHAPE, LEVELS, num_classes=3, backbone=TINY_BACKBONE), torch.tensor([2, 0])


def vector_model() -> tuple[PixelCNNModule, torch.Tensor]:
    return EmbeddingConditionalPixelCNN(SHAPE, LEVELS, cond_dim=COND_DIM, backbone=TINY_BACKBONE), torch.randn(
        2, COND_DIM
    )


def spatial_model() -> tuple[PixelCNNModule, torch.Tensor]:
    model = SpatialConditionalPixelCNN(SHAPE, LEVELS, cond_dim=COND_DIM, backbone=TINY_BACKBONE)
    return model, torch.randn(2, COND_DIM)


def autoencoder_model() -> tuple[PixelCNNModule, torch.Tensor]:
    model = PixelCNNAutoEncoder(
        (3, 4, 4), LEVELS, latent_dim=COND_DIM, encoder={"channels": [4]}, backbone=TINY_BACKBONE
    )
    return model, torch.randint(0, LEVELS, (2, 3, 4, 4))  # cond: images, which the model encodes


MODELS: dict[str, Callable[[], tuple[PixelCNNModule, torch.Tensor]]] = {
    "class": class_model,
    "vector": vector_model,
    "spatial": spatial_model,
    "autoencoder": autoencoder_model,
}


def logits_with_shifted_quarter(
    model: PixelCNNModule, x: torch.Tensor, cond: torch.Tensor, layer: int | None, quarter: int
) -> torch.Tensor:
    """model(x, cond) with 1.0 added to one quarter of one layer's conditioning bias (layer None: unchanged)."""

    def shift(module: torch.nn.Module, args: tuple, biases: list[torch.Tensor]) -> list[torch.Tensor]:
        biases = list(biases)
        bias = biases[layer].clone()
        width = model.backbone.hidden_channels
        start = quarter if bias.shape[1] == 4 * width else quarter - 2  # the last layer's: horizontal half only
        bias[:, start * width : (start + 1) * width] += 1.0
        biases[layer] = bias
        return biases

    handle = model.conditioner.register_forward_hook(shift) if layer is not None else None
    try:
        with torch.no_grad():
            return model(x, cond)
    finally:
        if handle is not None:
            handle.remove()


@pytest.mark.parametrize("kind", list(MODELS))
def test_every_quarter_of_every_layer_bias_reaches_the_logits(kind: str) -> None:
    torch.manual_seed(0)
    model, cond = MODELS[kind]()
    model.eval()
    x = torch.randint(0, LEVELS, (2, *model.image_shape), generator=torch.Generator().manual_seed(1))
    base = logits_with_shifted_quarter(model, x, cond, None, 0)
    num_layers = model.backbone.num_layers
    assert len(model.condition(cond, 2)) == num_layers
    for layer in range(num_layers):
        last = layer == num_layers - 1
        for quarter, name in enumerate(QUARTERS):
            if last and name.startswith("vertical"):
                # The last layer's vertical output feeds nothing (no layer above reads it), and its horizontal
                # stack gets the link from the vertical pre-activation BEFORE the bias is added, so conditioners
                # do not compute the vertical half of its bias at all (Conditioner.used_biases).
                continue
            change = (logits_with_shifted_quarter(model, x, cond, layer, quarter) - base).abs().max()
            assert change > 1e-6, f"{kind}: layer {layer}'s {name} bias does not reach the logits"
    biases = model.condition(cond, 2)
    assert [b.shape[1] for b in biases] == [4 * model.backbone.hidden_channels] * (num_layers - 1) + [
        2 * model.backbone.hidden_channels
    ]
