"""MSE auto-encoder baseline (``model=mse_autoencoder``, section 3.4): the PixelCNN auto-encoder's encoder with a
deconvolutional decoder, trained on the mean squared error of pixel values scaled to [0, 1]. It has no bits/dim."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torchmetrics import MeanSquaredError

from pixelcnn.autoencoder.decoder import DeconvDecoder
from pixelcnn.autoencoder.encoders import build_encoder
from pixelcnn.checkpoints.registry import as_factory, factory_spec
from pixelcnn.models.base import TrainableModule
from pixelcnn.nn.modes import eval_mode


class MSEAutoEncoder(TrainableModule):
    """x (B,C,H,W) levels -> h = encoder(x) (B, m) -> decoder(h) (B,C,H,W) floats in [0, 1].

    ``model(x)`` is the reconstruction in [0, 1]; ``model.reconstruct(x)`` the same rounded to levels (long).
    Logs ``{train,val,test}/mse``, the per-sub-pixel squared error in units of the [0, 1] range.
    ``monitor`` names that metric for the checkpoint callback and sweeps (``conf/model/mse_autoencoder.yaml``).
    """

    num_classes: int | None = None

    def __init__(
        self,
        image_shape: Sequence[int],
        num_levels: int,
        latent_dim: int = 10,
        monitor: str = "val/mse",
        decoder: Any = None,
        encoder: Any = None,
        optimizer: Any = None,
        scheduler: Any = None,
    ) -> None:
        super().__init__(image_shape, num_levels, optimizer, scheduler)
        self.latent_dim = int(latent_dim)
        self.encoder, encoder_spec = build_encoder(encoder, self.image_shape, self.num_levels, self.latent_dim)
        decoder_factory = as_factory(decoder, DeconvDecoder, "decoder")
        self.decoder = decoder_factory(image_shape=self.image_shape, latent_dim=self.latent_dim)
        self.remember(latent_dim=self.latent_dim, encoder=encoder_spec, decoder=factory_spec(decoder_factory))
        self.remember(monitor=str(monitor))
        self.train_mse, self.val_mse, self.test_mse = MeanSquaredError(), MeanSquaredError(), MeanSquaredError()

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Images (B,C,H,W) long -> codes h (B, latent_dim)."""
        self.check_images(x)
        return self.encoder(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (B,C,H,W) long -> reconstruction (B,C,H,W) floats in [0, 1]."""
        return self.decoder(self.encode(x))

    @torch.no_grad()
    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        """x (B,C,H,W) long -> reconstruction rounded to levels (B,C,H,W) long, computed in eval mode."""
        with eval_mode(self):
            return (self(x) * (self.num_levels - 1)).round().long().clamp_(0, self.num_levels - 1)

    def step(self, batch: Sequence[torch.Tensor], stage: str) -> torch.Tensor:
        x = batch[0]
        reconstruction, target = self(x), x.float() / (self.num_levels - 1)
        metric: MeanSquaredError = getattr(self, f"{stage}_mse")
        metric.update(reconstruction.detach(), target)
        self.log(f"{stage}/mse", metric, on_step=False, on_epoch=True, prog_bar=True, batch_size=x.shape[0])
        return torch.nn.functional.mse_loss(reconstruction, target)
