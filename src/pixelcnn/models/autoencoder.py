"""PixelCNN auto-encoder (``model=autoencoder``, section 3.4): an encoder maps x to a bottleneck h (B, m) and the
gated backbone, conditioned on h through ``V^T h`` in every layer (Eq. 4), models p(x | h). Encoder, conditioner
and backbone are trained end to end on the NLL of x given its own code, in bits/dim."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from pixelcnn.autoencoder.encoders import build_encoder
from pixelcnn.conditioning.vector import VectorConditioner
from pixelcnn.errors import InputError
from pixelcnn.models.pixelcnn import PixelCNNModule


class PixelCNNAutoEncoder(PixelCNNModule):
    """p(x | h = encoder(x)). ``cond`` is either images (B,C,H,W) long, which are encoded, or codes h (B, m) float:

    - ``model(x)`` / ``model.nll(x)``: cond defaults to x itself, i.e. the reconstruction NLL the model trains on;
    - ``model(x, cond=h)``: logits of x given a fixed code (causal in x);
    - ``model.sample(n, cond=images_or_h)``: n decodings; there is no prior over h, so cond is required.

    ``encoder`` builds the encoder given ``image_shape``, ``num_levels`` and ``latent_dim`` (default ``ConvEncoder``).
    V starts at zero, so before training the model is exactly an unconditional PixelCNN.
    """

    default_conditioner = VectorConditioner

    def __init__(
        self,
        image_shape: Sequence[int],
        num_levels: int,
        latent_dim: int = 10,
        encoder: Any = None,
        **parts: Any,
    ) -> None:
        self.latent_dim = int(latent_dim)
        parts.update(cond_dim=self.latent_dim, zero_init=True)  # the conditioner maps h (B, m) with V = 0 at first
        super().__init__(image_shape, num_levels, **parts)
        self.encoder, spec = build_encoder(encoder, self.image_shape, self.num_levels, self.latent_dim)
        self.remember(latent_dim=self.latent_dim, encoder=spec)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Images (B,C,H,W) long -> codes h (B, latent_dim)."""
        self.check_images(x)
        return self.encoder(x)

    def code(self, cond: torch.Tensor | None, batch_size: int) -> torch.Tensor:
        """The code h (batch_size, latent_dim) that ``cond`` (images to encode, or h itself) stands for."""
        return cond if self.is_code(cond, batch_size) else self.encode(cond)

    def check_condition(self, cond: torch.Tensor | None, batch_size: int) -> None:
        self.is_code(cond, batch_size)

    def is_code(self, cond: torch.Tensor | None, batch_size: int) -> bool:
        """True for codes h (batch_size, latent_dim) float, False for images to encode; else ``InputError``."""
        c, height, width = self.image_shape
        expected = (
            f"images ({batch_size}, {c}, {height}, {width}) long to encode or codes h ({batch_size}, {self.latent_dim})"
            " float"
        )
        if not isinstance(cond, torch.Tensor):
            raise InputError(f"the auto-encoder decodes a code: pass cond, {expected}")
        is_code = cond.dtype.is_floating_point and cond.shape == (batch_size, self.latent_dim)
        is_images = not cond.dtype.is_floating_point and cond.dim() == 4 and cond.shape[0] == batch_size
        if not (is_code or is_images):
            raise InputError(f"cond is {cond.dtype} of shape {tuple(cond.shape)} but must be {expected}")
        return is_code

    def batch_condition(self, batch: Sequence[torch.Tensor]) -> torch.Tensor:
        return batch[0]

    def condition(self, cond: torch.Tensor | None, batch_size: int) -> list[torch.Tensor]:
        return self.conditioner(self.code(cond, batch_size))

    def forward(self, x: torch.Tensor, cond: torch.Tensor | None = None, log_prob: bool = False) -> torch.Tensor:
        """x (B,C,H,W) long, cond images or h (default: x itself) -> logits (B,K,C,H,W) (or log p of x, (B,C,H,W))."""
        return super().forward(x, x if cond is None else cond, log_prob=log_prob)
