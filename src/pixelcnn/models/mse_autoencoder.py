"""MSE auto-encoder baseline (``model=mse_autoencoder``, section 3.4): the PixelCNN auto-encoder's encoder with a
deconvolutional decoder, trained on the mean squared error of pixel values scaled to [0, 1]. It has no bits/dim."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import pytorch_lightning as pl
import torch
from torchmetrics import MeanSquaredError

from pixelcnn.autoencoder_figure import reference_images, save_reconstruction_rows
from pixelcnn.conditioning.encoders import build_encoder
from pixelcnn.errors import InputError
from pixelcnn.models.base import to_plain
from pixelcnn.nn.deconv_decoder import DeconvDecoder


class MSEAutoEncoder(pl.LightningModule):
    """x (B,C,H,W) levels -> h = encoder(x) (B, m) -> decoder(h) (B,C,H,W) floats in [0, 1].

    ``model(x)`` is the reconstruction in [0, 1]; ``model.reconstruct(x)`` the same rounded to levels (long).
    Logs ``{train,val,test}/mse``, the per-sub-pixel squared error in units of the [0, 1] range.
    ``monitor`` names that metric for the checkpoint callback and sweeps (``conf/model/mse_autoencoder.yaml``).
    """

    kind: ClassVar[str] = "mse_autoencoder"
    num_classes: int | None = None

    def __init__(
        self,
        image_shape: Sequence[int],
        num_levels: int,
        latent_dim: int = 10,
        encoder: Mapping[str, Any] | None = None,
        decoder: Mapping[str, Any] | None = None,
        lr: float = 1e-3,
        weight_decay: float = 0.0,
        lr_decay: float = 1.0,
        monitor: str = "val/mse",
    ) -> None:
        super().__init__()
        self.save_hyperparameters(
            {
                "image_shape": [int(s) for s in image_shape],
                "num_levels": int(num_levels),
                "latent_dim": int(latent_dim),
                "encoder": to_plain(dict(encoder or {"kind": "conv"})),
                "decoder": to_plain(dict(decoder or {})),
                "lr": float(lr),
                "weight_decay": float(weight_decay),
                "lr_decay": float(lr_decay),
                "monitor": str(monitor),
            }
        )
        if len(self.hparams.image_shape) != 3:
            raise InputError(f"image_shape must be [C, H, W], got {list(image_shape)}")
        self.image_shape: tuple[int, int, int] = tuple(self.hparams.image_shape)
        self.num_levels: int = self.hparams.num_levels
        self.latent_dim: int = self.hparams.latent_dim
        self.encoder = build_encoder(self.hparams.encoder, self.image_shape, self.num_levels, self.latent_dim)
        self.decoder = DeconvDecoder(self.image_shape, self.latent_dim, **self.hparams.decoder)
        self.train_mse = MeanSquaredError()
        self.val_mse = MeanSquaredError()
        self.test_mse = MeanSquaredError()

    def check_images(self, x: torch.Tensor) -> None:
        """Raise ``InputError`` unless x is an integer tensor (B,C,H,W) of this model's shape and levels."""
        c, h, w = self.image_shape
        if not isinstance(x, torch.Tensor) or x.dtype.is_floating_point or x.dim() != 4 or x.shape[1:] != (c, h, w):
            raise InputError(
                f"x must be a LongTensor (B, {c}, {h}, {w}) of levels in [0, {self.num_levels}), got "
                f"{getattr(x, 'dtype', type(x).__name__)} of shape {tuple(getattr(x, 'shape', ()))}"
            )
        if x.numel() and (int(x.min()) < 0 or int(x.max()) >= self.num_levels):
            raise InputError(f"x has levels outside [0, {self.num_levels}); quantize the images to match")

    def to_unit(self, x: torch.Tensor) -> torch.Tensor:
        """Levels -> floats in [0, 1] (the MSE's scale)."""
        return x.float() / (self.num_levels - 1)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Images (B,C,H,W) long -> codes h (B, latent_dim)."""
        self.check_images(x)
        return self.encoder(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (B,C,H,W) long -> reconstruction (B,C,H,W) floats in [0, 1]."""
        return self.decoder(self.encode(x))

    @torch.no_grad()
    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        """x (B,C,H,W) long -> reconstruction rounded to levels (B,C,H,W) long."""
        return (self(x) * (self.num_levels - 1)).round().long().clamp_(0, self.num_levels - 1)

    # --- Lightning -----------------------------------------------------------------------------------------
    def _step(self, batch: Sequence[torch.Tensor], metric: MeanSquaredError, stage: str) -> torch.Tensor:
        x = batch[0]
        reconstruction, target = self(x), self.to_unit(x)
        loss = torch.nn.functional.mse_loss(reconstruction, target)
        metric.update(reconstruction.detach(), target)
        self.log(f"{stage}/mse", metric, on_step=False, on_epoch=True, prog_bar=True, batch_size=x.shape[0])
        return loss

    def training_step(self, batch: Sequence[torch.Tensor], batch_idx: int) -> torch.Tensor:
        loss = self._step(batch, self.train_mse, "train")
        self.log("train/loss", loss, on_step=True, on_epoch=False, prog_bar=True)
        return loss

    def validation_step(self, batch: Sequence[torch.Tensor], batch_idx: int) -> None:
        self._step(batch, self.val_mse, "val")

    def test_step(self, batch: Sequence[torch.Tensor], batch_idx: int) -> None:
        self._step(batch, self.test_mse, "test")

    def configure_optimizers(self) -> dict[str, Any]:
        optimizer = torch.optim.Adam(self.parameters(), lr=self.hparams.lr, weight_decay=self.hparams.weight_decay)
        scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=self.hparams.lr_decay)
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "epoch"}}

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        checkpoint["pixelcnn_kind"] = self.kind

    # --- pictures ----------------------------------------------------------------------------------------------
    def grid_images(self, n: int, datamodule: Any, seed: int = 0) -> tuple[torch.Tensor, int]:
        """For the sample-grid callback: pairs of a validation image and its reconstruction."""
        originals = reference_images(datamodule, max(1, n // 2), "val").to(self.device)
        return torch.stack([originals, self.reconstruct(originals)], dim=1).flatten(0, 1), 2

    def eval_figures(self, datamodule: Any, output_dir: Path, options: Mapping[str, Any]) -> dict[str, Path]:
        """Rows of original | reconstruction for ``reconstruction_rows`` test images."""
        originals = reference_images(datamodule, int(options.get("reconstruction_rows") or 8)).to(self.device)
        was_training = self.training
        self.eval()
        try:
            columns = [originals, self.reconstruct(originals)]
        finally:
            self.train(was_training)
        path = save_reconstruction_rows(columns, self.num_levels, Path(output_dir) / "reconstructions.png")
        return {"reconstructions": path}
