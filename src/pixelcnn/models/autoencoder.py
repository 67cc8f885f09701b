"""PixelCNN auto-encoder (``model=autoencoder``, section 3.4): an encoder maps x to a bottleneck h (B, m) and the
gated backbone, conditioned on h through ``V^T h`` in every layer (Eq. 4), models p(x | h). Encoder, conditioner
and backbone (an ``AutoEncoderNetwork``, ``self.net``) are trained end to end on the NLL of x given its own code,
in bits/dim."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from pixelcnn.autoencoder.encoders import ConvEncoder
from pixelcnn.checkpoints.registry import as_factory, factory_spec
from pixelcnn.conditioning.vector import VectorConditioner
from pixelcnn.models.pixelcnn import PixelCNNModule
from pixelcnn.nn.network import AutoEncoderNetwork


class PixelCNNAutoEncoder(PixelCNNModule):
    """p(x | h = encoder(x)). ``cond`` is either images (B,C,H,W) long, which are encoded, or codes h (B, m) float:

    - ``model(x)`` / ``model.nll(x)``: cond defaults to x itself, i.e. the reconstruction NLL the model trains on;
    - ``model(x, cond=h)``: logits of x given a fixed code (causal in x);
    - ``model.sample(n, cond=images_or_h)``: n decodings; there is no prior over h, so cond is required.

    ``encoder`` builds the encoder given ``image_shape``, ``num_levels`` and ``latent_dim`` (default ``ConvEncoder``);
    the network makes ``latent_dim`` the conditioner's ``cond_dim`` (``AutoEncoderNetwork``). V starts at zero, so
    before training the model is exactly an unconditional PixelCNN. The other arguments are ``PixelCNNModule``'s.
    """

    default_conditioner = VectorConditioner
    net: AutoEncoderNetwork

    def __init__(
        self,
        image_shape: Sequence[int],
        num_levels: int,
        latent_dim: int = 10,
        encoder: Any = None,
        backbone: Any = None,
        conditioner: Any = None,
        optimizer: Any = None,
        scheduler: Any = None,
        head: Any = None,
        compile: bool | str = False,
        compile_options: dict[str, Any] | None = None,
        channels_last: bool | str = "auto",
    ) -> None:
        self.latent_dim = int(latent_dim)
        self.encoder_factory = as_factory(encoder, ConvEncoder, "encoder")
        super().__init__(
            image_shape,
            num_levels,
            backbone=backbone,
            conditioner=conditioner,
            optimizer=optimizer,
            scheduler=scheduler,
            head=head,
            compile=compile,
            compile_options=compile_options,
            channels_last=channels_last,
        )
        self.remember(latent_dim=self.latent_dim, encoder=factory_spec(self.encoder_factory))

    def build_network(self, **parts: Any) -> AutoEncoderNetwork:
        return AutoEncoderNetwork(self.image_shape, self.num_levels, self.latent_dim, self.encoder_factory, **parts)

    @property
    def encoder(self) -> nn.Module:
        return self.net.encoder

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Images (B,C,H,W) long -> codes h (B, latent_dim)."""
        return self.net.encode(x)

    def code(self, cond: torch.Tensor | None, batch_size: int) -> torch.Tensor:
        """The code h (batch_size, latent_dim) that ``cond`` (images to encode, or h itself) stands for."""
        return self.net.code(cond, batch_size)

    def batch_condition(self, batch: Sequence[torch.Tensor]) -> torch.Tensor:
        return batch[0]
