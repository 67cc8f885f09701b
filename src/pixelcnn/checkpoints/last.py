"""``last.ckpt`` with the newest state: after every validation, at the end of every training epoch and of training,
and every N optimizer steps."""

from __future__ import annotations

from typing import Any

import pytorch_lightning as pl
from pytorch_lightning.callbacks import ModelCheckpoint


class LastCheckpoint(ModelCheckpoint):
    """Writes ``<dirpath>/last.ckpt`` (a full file, through the trainer's checkpoint IO) with the newest state.

    Lightning's ``save_last=True`` rewrites ``last.ckpt`` only when a top-k checkpoint was saved at the same step, so
    after a validation that did not improve the monitored metric it kept the older best state and a resumed run lost
    the epochs since. This callback writes it whatever the metric did: after a validation in the middle of an epoch,
    at the end of every epoch (after its validation, once the epoch counts as done, as Lightning's own epoch-end
    checkpoints), at the end of training and every ``every_n_train_steps`` optimizer steps; only when the state
    moved on (a step, a validation, an epoch) since its last write; only during ``fit``, never in the sanity check.
    It must come after the best-checkpoint callback (``pixelcnn.tasks.train.ordered``), so the file holds the ranking
    of the validation it follows. ``trainer.save_checkpoint`` writes on rank 0 and synchronizes the others. A
    ``ModelCheckpoint`` with Lightning's own saving off, so Lightning orders it with the checkpoint callbacks and
    ``last_model_path`` names the file.
    """

    def __init__(self, dirpath: str | None = None, every_n_train_steps: int | None = None, **kwargs: Any) -> None:
        kwargs = {"monitor": None, "save_top_k": 0, "every_n_epochs": 0, "enable_version_counter": False, **kwargs}
        super().__init__(dirpath=dirpath, save_last=True, every_n_train_steps=0, **kwargs)
        self.every_n_steps = every_n_train_steps or 0
        self.validations = 0  # validations run during fit so far
        self.written: tuple[int, int, int] | None = None  # (global step, epochs done, validations) of the last write

    def on_train_batch_end(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, outputs: Any, batch: Any, batch_idx: int
    ) -> None:
        if self.every_n_steps > 0 and trainer.global_step % self.every_n_steps == 0:
            self.write(trainer)

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.sanity_checking or trainer.state.fn != "fit":
            return
        self.validations += 1
        if not trainer.fit_loop.epoch_loop.batch_progress.is_last_batch:  # at an epoch's end: on_train_epoch_end
            self.write(trainer)

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.write(trainer)

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.write(trainer)

    def write(self, trainer: pl.Trainer) -> None:
        """``last.ckpt`` with the state now, unless nothing moved on since this callback last wrote it."""
        if trainer.fast_dev_run or trainer.sanity_checking or trainer.state.fn != "fit" or trainer.global_step == 0:
            return
        now = (trainer.global_step, trainer.fit_loop.epoch_progress.current.processed, self.validations)
        if now == self.written:
            return
        self.last_model_path = self.format_checkpoint_name({}, self.CHECKPOINT_NAME_LAST)  # part of the saved state
        trainer.save_checkpoint(self.last_model_path)
        self.written = now
