"""How a conditioning ``h`` becomes one bias per layer; the backbone never sees ``h`` itself.

Every conditioner is built by the model as ``factory(num_layers=L, cond_channels=4*hidden, image_size=(H, W))``
(``conf/model/conditioner/*.yaml`` are ``_partial_`` configs that carry the rest); those that do not depend on
the image size ignore it.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from pixelcnn.nn.gated_block import layer_biases


class Conditioner(nn.Module):
    """Maps a batch of conditions to ``num_layers`` biases (B, cond_channels, 1|H, 1|W), the last one's horizontal
    half only (``used_biases``).

    The first half of each bias's channels goes to the vertical gate pre-activation, the second to the
    horizontal one; within each half the first half is the tanh part, the second the sigmoid part.
    """

    def __init__(self, num_layers: int, cond_channels: int) -> None:
        super().__init__()
        self.num_layers = num_layers
        self.cond_channels = cond_channels

    def validate(self, cond: torch.Tensor | None, batch_size: int) -> torch.Tensor:
        """Raise ``InputError`` naming the expected shape when ``cond`` does not fit; return it unchanged."""
        raise NotImplementedError

    def used_biases(self, project: Callable[[slice], torch.Tensor]) -> list[torch.Tensor]:
        """L biases from ``project(rows)``, the output (B, len(rows), ...) of rows ``rows`` of a weight with
        L * cond_channels rows; the last layer's horizontal half only (``pixelcnn.nn.gated_block.layer_biases``)."""
        return layer_biases(project, self.num_layers, self.cond_channels)
