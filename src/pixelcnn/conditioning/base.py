"""How a conditioning ``h`` becomes one bias per layer; the backbone never sees ``h`` itself.

Every conditioner is built by the model as ``factory(num_layers=L, cond_channels=4*hidden, image_size=(H, W))``
(``conf/model/conditioner/*.yaml`` are ``_partial_`` configs that carry the rest); those that do not depend on
the image size ignore it.
"""

from __future__ import annotations

import torch
from torch import nn


class Conditioner(nn.Module):
    """Maps a batch of conditions to ``num_layers`` biases (B, cond_channels, 1|H, 1|W).

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

    def split_layers(self, flat: torch.Tensor) -> list[torch.Tensor]:
        """(B, L*cond_channels, ...) -> L tensors (B, cond_channels, ...), broadcastable over H, W."""
        if flat.dim() == 2:
            flat = flat[:, :, None, None]
        return list(flat.split(self.cond_channels, dim=1))
