"""How a conditioning ``h`` becomes one bias per layer; the backbone never sees ``h`` itself.

Every conditioner is built by the model as ``factory(num_layers=L, cond_channels=4*hidden, image_size=(H, W))``
(``conf/model/conditioner/*.yaml`` are ``_partial_`` configs that carry the rest); those that do not depend on
the image size ignore it.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn


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
        """L biases from ``project(rows)``: the output (B, len(rows), ...) of the rows ``rows`` of a weight with
        L * cond_channels rows (layer l's bias is rows l*cond_channels ..). Every layer gets its whole bias
        (B, cond_channels, 1|H, 1|W) but the last, which gets its horizontal half (B, cond_channels/2, 1|H, 1|W)
        only: its vertical half would feed the last layer's vertical gate, which the backbone does not compute.
        The weight keeps every row (checkpoints load unchanged); the unused ones get zero gradients."""
        cut = (self.num_layers - 1) * self.cond_channels
        biases = list(project(slice(0, cut)).split(self.cond_channels, dim=1)) if cut else []
        biases.append(project(slice(cut + self.cond_channels // 2, cut + self.cond_channels)))
        return [b[:, :, None, None] if b.dim() == 2 else b for b in biases]
