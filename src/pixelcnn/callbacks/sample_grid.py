"""Writes a PNG grid of samples at the end of validation (class-conditional: cycling through the classes)."""

from __future__ import annotations

from pathlib import Path

import pytorch_lightning as pl
import torch

from pixelcnn.log_media import log_image
from pixelcnn.viz import save_grid


def grid_condition(model: pl.LightningModule, n: int) -> torch.Tensor | None:
    """Classes 0, 1, ..., num_classes-1, 0, ... for class-conditional models; the model's own
    ``grid_condition(n)`` where it has one (e.g. embeddings); None otherwise."""
    if callable(getattr(model, "grid_condition", None)):
        return model.grid_condition(n)
    num_classes = getattr(model, "num_classes", None)
    if not num_classes:
        return None
    return torch.arange(n, device=model.device) % num_classes


class SampleGridCallback(pl.Callback):
    """Samples ``num_samples`` images with a fixed seed every ``every_n_epochs`` validations.

    Saved to ``{dirpath}/epoch_{epoch:03d}.png`` on rank 0; ``dirpath`` defaults to the trainer's root dir.
    The grid also goes to every logger under the key ``samples`` (W&B image, TensorBoard image, CSV path).
    """

    def __init__(self, num_samples: int = 16, every_n_epochs: int = 1, seed: int = 0, dirpath: str | None = None):
        super().__init__()
        self.num_samples = num_samples
        self.every_n_epochs = every_n_epochs
        self.seed = seed
        self.dirpath = dirpath
        self.last_path: Path | None = None

    def on_validation_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.sanity_checking or not trainer.is_global_zero or self.num_samples <= 0:
            return
        if (trainer.current_epoch + 1) % self.every_n_epochs != 0:
            return
        n = self.num_samples
        if hasattr(pl_module, "grid_images"):  # the auto-encoders: data next to its decodings, (N,C,H,W) and nrow
            samples, model_nrow = pl_module.grid_images(n, trainer.datamodule, seed=self.seed)
        else:
            samples, model_nrow = pl_module.sample(n, cond=grid_condition(pl_module, n), seed=self.seed), None
        folder = Path(self.dirpath or Path(trainer.default_root_dir) / "samples")
        nrow = model_nrow or getattr(pl_module, "num_classes", None) or max(1, int(n**0.5))
        path = folder / f"epoch_{trainer.current_epoch:03d}.png"
        self.last_path = save_grid(samples, pl_module.num_levels, path, nrow)
        log_image(trainer.loggers, "samples", self.last_path, step=trainer.global_step)
