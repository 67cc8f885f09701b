"""Writes a PNG preview at the end of validation, with the weights validation used, through the same ``Figure``
objects as the final figures (``pixelcnn.figures.preview_figures``) and the ``sampling`` options."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytorch_lightning as pl

from pixelcnn.errors import check_count
from pixelcnn.figures import preview_figures, sampling_options
from pixelcnn.logging.media import log_image

WHERE = "callbacks.sample_grid"  # the config key its options are named by in errors


class SampleGridCallback(pl.Callback):
    """Draws the preview figure of the model's kind (at most about ``num_samples`` images, a fixed ``seed``) every
    ``every_n_epochs`` validations, sampling with ``sampling`` (``model.sample`` options: fast, batch_size,
    progress, capture; the train config passes its ``sampling`` group). ``num_samples=0``: no preview.

    With weight averaging on, validation and this preview use the averaged weights: the train task keeps
    averaging callbacks after this one, so they swap the raw weights back only after the preview is drawn.

    Saved to ``{dirpath}/epoch_{epoch:03d}.png`` on rank 0; ``dirpath`` defaults to ``<trainer root dir>/samples``.
    The grid also goes to every logger under the key ``samples`` (W&B image, TensorBoard image, CSV path).
    """

    def __init__(
        self,
        num_samples: int = 16,
        every_n_epochs: int = 1,
        seed: int = 0,
        dirpath: str | None = None,
        sampling: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__()
        check_count(num_samples, f"{WHERE}.num_samples", minimum=0)
        check_count(every_n_epochs, f"{WHERE}.every_n_epochs")
        self.num_samples = int(num_samples)
        self.every_n_epochs = int(every_n_epochs)
        self.dirpath = dirpath
        self.sampling = sampling_options(sampling, f"{WHERE}.sampling")
        self.figures = preview_figures(self.num_samples, seed) if self.num_samples > 0 else []
        self.last_path: Path | None = None

    def on_validation_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.sanity_checking or not trainer.is_global_zero:
            return
        if (trainer.current_epoch + 1) % self.every_n_epochs != 0:
            return
        figure = next((f for f in self.figures if f.applies_to(pl_module)), None)
        if figure is None:  # num_samples=0, or a model no preview fits (the triplet embedder)
            return
        (page,) = figure.pages(pl_module, trainer.datamodule, self.sampling).values()
        folder = Path(self.dirpath or Path(trainer.default_root_dir) / "samples")
        self.last_path = page.save(pl_module.num_levels, folder / f"epoch_{trainer.current_epoch:03d}.png")
        log_image(trainer.loggers, "samples", self.last_path, step=validation_step(trainer))


def validation_step(trainer: pl.Trainer) -> int:
    """The step Lightning logs this validation's metrics (``val/bpd``) at: the optimizer steps before the batch that
    triggered validation (``global_step`` already counts that batch's step). The grid lines up with them."""
    return max(trainer.global_step - 1, 0)
