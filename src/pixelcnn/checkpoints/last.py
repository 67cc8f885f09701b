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
    the epochs since. This callback writes it whatever the metric did: at ``on_validation_end`` (after the
    best-checkpoint callback, which comes before it in the callback list, has updated its ranking, so the file holds
    that ranking), at ``on_train_epoch_end`` and ``on_train_end``, and every ``every_n_train_steps`` optimizer steps;
    never twice at one global step, only during ``fit``, never in the sanity check. ``trainer.save_checkpoint``
    writes on rank 0 and synchronizes the others. A ``ModelCheckpoint`` (with Lightning's own saving off) so that
    Lightning orders it with the checkpoint callbacks and ``last_model_path`` names the file.
    """

    def __init__(self, dirpath: str | None = None, every_n_train_steps: int | None = None, **kwargs: Any) -> None:
        kwargs = {"monitor": None, "save_top_k": 0, "every_n_epochs": 0, "enable_version_counter": False, **kwargs}
        super().__init__(dirpath=dirpath, save_last=True, every_n_train_steps=0, **kwargs)
        self.every_n_steps = every_n_train_steps or 0
        self.written_step = 0  # the global step of this callback's last write (none yet, and no steps: nothing new)

    def on_train_batch_end(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, outputs: Any, batch: Any, batch_idx: int
    ) -> None:
        if self.every_n_steps > 0 and trainer.global_step % self.every_n_steps == 0:
            self.write(trainer)

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.write(trainer)

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.write(trainer)

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.write(trainer)

    def write(self, trainer: pl.Trainer) -> None:
        """``last.ckpt`` with the state at this step, unless this callback wrote it at this step already."""
        if trainer.fast_dev_run or trainer.sanity_checking or trainer.state.fn != "fit":
            return
        if trainer.global_step == self.written_step:
            return
        self.last_model_path = self.format_checkpoint_name({}, self.CHECKPOINT_NAME_LAST)  # part of the saved state
        trainer.save_checkpoint(self.last_model_path)
        self.written_step = trainer.global_step
