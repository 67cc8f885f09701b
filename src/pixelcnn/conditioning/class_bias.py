"""Class-conditional bias (Eq. 4): ``V^T one_hot(y)`` added to every layer's gate pre-activations."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from pixelcnn.conditioning.base import Conditioner
from pixelcnn.errors import InputError, check_range


class ClassConditioner(Conditioner):
    """A learned bias per class and layer. ``V^T one_hot(y)`` is a row lookup, so V is an embedding table."""

    def __init__(
        self,
        num_layers: int,
        cond_channels: int,
        *,
        num_classes: int | None = None,
        **unused: Any,  # image_size: a class bias is the same at every pixel
    ) -> None:
        super().__init__(num_layers, cond_channels)
        if not num_classes or int(num_classes) < 1:
            raise InputError(
                "model=gated_cond needs class labels but this data set has none (num_classes is "
                f"{num_classes}); choose a labelled data set or model=gated"
            )
        self.num_classes = int(num_classes)
        self.table = nn.Embedding(self.num_classes, num_layers * cond_channels)
        nn.init.normal_(self.table.weight, std=0.1)

    def validate(self, cond: torch.Tensor | None, batch_size: int) -> torch.Tensor:
        if cond is None:
            raise InputError(f"this model is class-conditional: pass cond, a LongTensor ({batch_size},) of class ids")
        if not isinstance(cond, torch.Tensor) or cond.dtype not in (torch.int64, torch.int32):
            got = getattr(cond, "dtype", type(cond).__name__)
            raise InputError(f"cond must be a LongTensor ({batch_size},) of class ids, got {got}")
        if cond.shape != (batch_size,):
            raise InputError(
                f"cond must be a LongTensor ({batch_size},) of class ids in [0, {self.num_classes}), "
                f"got shape {tuple(cond.shape)}"
            )
        check_range(cond, self.num_classes, "class ids")
        return cond

    def forward(self, cond: torch.Tensor) -> list[torch.Tensor]:
        """(B,) long -> L biases (B, cond_channels, 1, 1), the last (B, cond_channels/2, 1, 1)."""
        return self.used_biases(lambda rows: F.embedding(cond.long(), self.table.weight[:, rows]))
