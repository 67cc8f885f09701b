"""The LightningModule every PixelCNN shares: backbone + optional conditioner + bits/dim metrics."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import pytorch_lightning as pl
import torch

from pixelcnn.conditioning.base import Conditioner
from pixelcnn.errors import InputError
from pixelcnn.metrics import BitsPerDim
from pixelcnn.nn.backbone import GatedPixelCNN
from pixelcnn.sampling import sample_naive
from pixelcnn.viz import save_grid

LN2 = math.log(2.0)


def to_plain(value: Any) -> Any:
    """Hydra containers -> plain dicts, lists and scalars, so checkpoints load with ``weights_only=True``."""
    if isinstance(value, Mapping):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [to_plain(v) for v in value]
    return value


class PixelCNNModule(pl.LightningModule):
    """Unconditional by default; subclasses add a conditioner by overriding ``build_conditioner``.

    Public surface (see README): ``model(x, cond)`` -> logits (B,K,C,H,W); ``nll(x, cond)`` -> (B,) nats;
    ``sample(n, cond, seed)`` -> (n,C,H,W) long; attributes ``image_shape``, ``num_levels``, ``num_classes``.
    """

    kind: ClassVar[str] = "gated"

    def __init__(
        self,
        image_shape: Sequence[int],
        num_levels: int,
        backbone: Mapping[str, Any] | None = None,
        lr: float = 1e-3,
        weight_decay: float = 0.0,
        lr_decay: float = 1.0,
        **extra: Any,
    ) -> None:
        super().__init__()
        hparams = {
            "image_shape": [int(s) for s in image_shape],
            "num_levels": int(num_levels),
            "backbone": to_plain(dict(backbone or {})),
            "lr": float(lr),
            "weight_decay": float(weight_decay),
            "lr_decay": float(lr_decay),
            **to_plain(extra),
        }
        self.save_hyperparameters(hparams)
        if len(self.hparams.image_shape) != 3:
            raise InputError(f"image_shape must be [C, H, W], got {list(image_shape)}")
        self.image_shape: tuple[int, int, int] = tuple(self.hparams.image_shape)
        self.num_levels: int = self.hparams.num_levels
        self.num_dims = math.prod(self.image_shape)
        self.backbone = GatedPixelCNN(self.image_shape[0], self.num_levels, **self.hparams.backbone)
        self.conditioner: Conditioner | None = self.build_conditioner()
        self.train_bpd = BitsPerDim()
        self.val_bpd = BitsPerDim()
        self.test_bpd = BitsPerDim()

    # --- conditioning hooks, overridden by conditional models ---------------------------------------------
    num_classes: int | None = None

    def build_conditioner(self) -> Conditioner | None:
        return None

    def batch_condition(self, batch: Sequence[torch.Tensor]) -> torch.Tensor | None:
        """The ``cond`` a training batch (x, y, ...) carries for this model; None when unconditional."""
        return None

    def condition(self, cond: torch.Tensor | None, batch_size: int) -> list[torch.Tensor] | None:
        """Validate ``cond`` and map it to per-layer biases."""
        if self.conditioner is None:
            if cond is not None:
                raise InputError("this model is unconditional: call it without cond")
            return None
        return self.conditioner(self.conditioner.validate(cond, batch_size))

    # --- public API ----------------------------------------------------------------------------------------
    def check_images(self, x: torch.Tensor) -> None:
        """Raise ``InputError`` unless x is an integer tensor (B,C,H,W) of this model's shape and levels."""
        c, h, w = self.image_shape
        if not isinstance(x, torch.Tensor) or x.dtype.is_floating_point or x.dtype == torch.bool:
            raise InputError(f"x must be a LongTensor (B, {c}, {h}, {w}) of levels in [0, {self.num_levels})")
        if x.dim() != 4 or tuple(x.shape[1:]) != self.image_shape:
            raise InputError(
                f"x has shape {tuple(x.shape)} but this model takes (B, {c}, {h}, {w}) images; "
                f"check the data config's image size and channels"
            )
        if x.numel() and (int(x.min()) < 0 or int(x.max()) >= self.num_levels):
            raise InputError(
                f"x has levels in [{int(x.min())}, {int(x.max())}] but this model has "
                f"{self.num_levels} levels [0, {self.num_levels}); quantize the images to match"
            )

    def forward(self, x: torch.Tensor, cond: torch.Tensor | None = None) -> torch.Tensor:
        """x (B,C,H,W) long -> logits (B,K,C,H,W)."""
        self.check_images(x)
        return self.backbone(x, self.condition(cond, x.shape[0]))

    def nll(self, x: torch.Tensor, cond: torch.Tensor | None = None) -> torch.Tensor:
        """Negative log-likelihood of each image in nats (B,)."""
        logits = self(x, cond)
        return torch.nn.functional.cross_entropy(logits.float(), x.long(), reduction="none").flatten(1).sum(1)

    @torch.no_grad()
    def sample(self, n: int, cond: torch.Tensor | None = None, seed: int = 0) -> torch.Tensor:
        """n images (n,C,H,W) long; the same seed (and cond) gives the same images."""
        was_training = self.training
        self.eval()
        try:
            biases = self.condition(cond, n)
            return sample_naive(lambda x: self.backbone(x, biases), n, self.image_shape, seed, self.device)
        finally:
            self.train(was_training)

    def eval_figures(self, datamodule: Any, output_dir: Path, options: Mapping[str, Any]) -> dict[str, Path]:
        """The pictures ``eval.py`` makes for this model kind: name -> PNG path. Subclasses add their own.

        Default: a sample grid (class-conditional: one row of ``samples_per_class`` per class).
        """
        seed = int(options.get("seed", 0))
        if self.num_classes:
            per_class = int(options.get("samples_per_class", 8))
            cond = torch.arange(self.num_classes, device=self.device).repeat_interleave(per_class)
            samples, nrow = self.sample(len(cond), cond=cond, seed=seed), per_class
        else:
            n = int(options.get("num_samples", 64))
            samples, nrow = self.sample(n, seed=seed), max(1, int(n**0.5))
        return {"samples": save_grid(samples, self.num_levels, Path(output_dir) / "samples.png", nrow=nrow)}

    # --- Lightning -----------------------------------------------------------------------------------------
    def _step(self, batch: Sequence[torch.Tensor], metric: BitsPerDim, stage: str) -> torch.Tensor:
        x = batch[0]
        nll = self.nll(x, self.batch_condition(batch))
        loss = nll.mean() / (self.num_dims * LN2)
        metric.update(nll, self.num_dims)
        self.log(f"{stage}/bpd", metric, on_step=False, on_epoch=True, prog_bar=True, batch_size=x.shape[0])
        return loss

    def training_step(self, batch: Sequence[torch.Tensor], batch_idx: int) -> torch.Tensor:
        loss = self._step(batch, self.train_bpd, "train")
        self.log("train/loss", loss, on_step=True, on_epoch=False, prog_bar=True)
        return loss

    def validation_step(self, batch: Sequence[torch.Tensor], batch_idx: int) -> None:
        self._step(batch, self.val_bpd, "val")

    def test_step(self, batch: Sequence[torch.Tensor], batch_idx: int) -> None:
        self._step(batch, self.test_bpd, "test")

    def configure_optimizers(self) -> dict[str, Any]:
        optimizer = torch.optim.Adam(self.parameters(), lr=self.hparams.lr, weight_decay=self.hparams.weight_decay)
        scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=self.hparams.lr_decay)
        # "name" is the key LearningRateMonitor logs the learning rate under
        return {
            "optimizer": optimizer,
            "lr_scheduler": {"scheduler": scheduler, "interval": "epoch", "name": "train/lr"},
        }

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        checkpoint["pixelcnn_kind"] = self.kind
