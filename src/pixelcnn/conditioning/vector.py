"""Conditioning on any float vector h (B, D), e.g. an embedding or an auto-encoder's bottleneck: ``V^T h`` (Eq. 4)."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from pixelcnn.conditioning.base import Conditioner
from pixelcnn.errors import InputError


def check_cond_dim(cond_dim: int | None) -> int:
    """``cond_dim`` as an int >= 1, or an InputError that says where it comes from."""
    if not cond_dim or int(cond_dim) < 1:
        raise InputError(
            f"this model needs one vector h per image but its cond_dim is {cond_dim}; use data=embeddings "
            "(a file written by export_embeddings.py) or set data.cond_dim"
        )
    return int(cond_dim)


def check_vector(cond: torch.Tensor | None, batch_size: int, cond_dim: int) -> torch.Tensor:
    """Raise ``InputError`` unless cond is a float tensor (batch_size, cond_dim); return it."""
    expected = f"a FloatTensor ({batch_size}, {cond_dim})"
    if cond is None:
        raise InputError(f"this model is conditioned on a vector h: pass cond, {expected}")
    if not isinstance(cond, torch.Tensor) or not cond.dtype.is_floating_point:
        raise InputError(f"cond must be {expected}, got {getattr(cond, 'dtype', type(cond).__name__)}")
    if cond.shape != (batch_size, cond_dim):
        raise InputError(
            f"cond has shape {tuple(cond.shape)} but this model takes {expected}; the embedding dimension must be "
            f"{cond_dim}"
        )
    return cond


class VectorConditioner(Conditioner):
    """One linear map per layer (stored as one ``Linear(D, L * cond_channels)``) from h to a gate bias.

    ``zero_init``: V starts at zero, so before training the model ignores h (the auto-encoder starts as an
    unconditional PixelCNN).
    """

    def __init__(
        self,
        num_layers: int,
        cond_channels: int,
        *,
        cond_dim: int | None = None,
        zero_init: bool = False,
        **unused: Any,  # image_size: V^T h is the same at every pixel
    ) -> None:
        super().__init__(num_layers, cond_channels)
        self.cond_dim = check_cond_dim(cond_dim)
        self.project = nn.Linear(self.cond_dim, num_layers * cond_channels)
        if zero_init:
            nn.init.zeros_(self.project.weight)
            nn.init.zeros_(self.project.bias)

    def validate(self, cond: torch.Tensor | None, batch_size: int) -> torch.Tensor:
        return check_vector(cond, batch_size, self.cond_dim)

    def forward(self, cond: torch.Tensor) -> list[torch.Tensor]:
        """(B, D) float -> L biases (B, cond_channels, 1, 1), the last (B, cond_channels/2, 1, 1)."""
        h = cond.to(self.project.weight.dtype)
        return self.used_biases(lambda rows: F.linear(h, self.project.weight[rows], self.project.bias[rows]))
