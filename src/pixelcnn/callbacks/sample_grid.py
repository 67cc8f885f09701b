"""Writes a PNG preview (``pixelcnn.figures.preview``) at the end of validation, with the weights validation used."""

from __future__ import annotations

from pathlib import Path

import pytorch_lightning as pl

from pixelcnn.figures import preview, save_grid
from pixelcnn.logging.media import log_image


class SampleGridCallback(pl.Callback):
    """Samples about ``num_samples`` images with a fixed seed every ``every_n_epochs`` validations.

    With weight averaging on, validation and this preview use the averaged weights: the train task keeps
    averaging callbacks after this one, so they swap the raw weights back only after the preview is drawn.

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
        images, nrow = preview(pl_module, trainer.datamodule, self.num_samples, seed=self.seed)
        folder = Path(self.dirpath or Path(trainer.default_root_dir) / "samples")
        path = folder / f"epoch_{trainer.current_epoch:03d}.png"
        self.last_path = save_grid(images, pl_module.num_levels, path, nrow)
        log_image(trainer.loggers, "samples", self.last_path, step=validation_step(trainer))


def validation_step(trainer: pl.Trainer) -> int:
    """The step Lightning logs this validation's metrics (``val/bpd``) at: the optimizer steps before the batch that
    triggered validation (``global_step`` already counts that batch's step). The grid lines up with them."""
    return max(trainer.global_step - 1, 0)
