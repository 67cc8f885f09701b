"""Conditioning on any float vector h (B, D), e.g. an embedding or an auto-encoder's bottleneck: ``V^T h`` (Eq. 4)."""

from __future__ import annotations

import torch
from torch import nn

from pixelcnn.conditioning.base import Conditioner
from pixelcnn.errors import InputError


class VectorConditioner(Conditioner):
    """One linear map per layer (stored as one ``Linear(D, L * cond_channels)``) from h to a gate bias."""

    def __init__(self, cond_dim: int, num_layers: int, cond_channels: int) -> None:
        super().__init__(num_layers, cond_channels)
        if cond_dim < 1:
            raise InputError(f"cond_dim must be >= 1, got {cond_dim}")
        self.cond_dim = cond_dim
        self.project = nn.Linear(cond_dim, num_layers * cond_channels)

    def validate(self, cond: torch.Tensor | None, batch_size: int) -> torch.Tensor:
        expected = f"a FloatTensor ({batch_size}, {self.cond_dim})"
        if cond is None:
            raise InputError(f"this model is conditioned on a vector h: pass cond, {expected}")
        if not isinstance(cond, torch.Tensor) or not cond.dtype.is_floating_point:
            raise InputError(f"cond must be {expected}, got {getattr(cond, 'dtype', type(cond).__name__)}")
        if cond.shape != (batch_size, self.cond_dim):
            raise InputError(
                f"cond has shape {tuple(cond.shape)} but this model takes {expected}; "
                f"the embedding dimension must be {self.cond_dim}"
            )
        return cond

    def forward(self, cond: torch.Tensor) -> list[torch.Tensor]:
        """(B, D) float -> L biases (B, cond_channels, 1, 1)."""
        return self.split_layers(self.project(cond.to(self.project.weight.dtype)))
