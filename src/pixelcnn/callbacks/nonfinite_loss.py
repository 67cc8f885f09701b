"""Stops training at the first NaN or infinite loss, before its gradients reach the weights."""

from __future__ import annotations

from pathlib import Path

import pytorch_lightning as pl
import torch
from pytorch_lightning.callbacks import ModelCheckpoint

from pixelcnn.errors import NonFiniteLossError


class StopOnNonFiniteLoss(pl.Callback):
    """Raises ``NonFiniteLossError`` naming the step when the loss is not finite on any rank.

    It runs before ``backward``, so no NaN gradient is applied and no checkpoint is written with NaN weights: the
    last checkpoint on disk stays the last good one. Under DDP every rank takes the same decision (one boolean
    all-reduce per step), so all ranks stop together instead of hanging in the next collective.
    """

    def on_before_backward(self, trainer: pl.Trainer, pl_module: pl.LightningModule, loss: torch.Tensor) -> None:
        bad = not bool(torch.isfinite(loss.detach()).all())
        if trainer.world_size > 1:
            bad = trainer.strategy.reduce_boolean_decision(bad, all=False)
        if not bad:
            return
        value = loss.detach().float().flatten()[0].item()
        raise NonFiniteLossError(
            f"the training loss is {value} at global step {trainer.global_step} (epoch {trainer.current_epoch}); "
            f"training stopped before this step was applied, {last_checkpoint_note(trainer)}; lower "
            "model.optimizer.lr, set trainer.gradient_clip_val=1.0 or check the data, then resume with ckpt_path=last"
        )


def last_checkpoint_note(trainer: pl.Trainer) -> str:
    """Where the last good checkpoint is, for the error message."""
    for callback in trainer.callbacks:
        if isinstance(callback, ModelCheckpoint) and callback.last_model_path:
            return f"the last good checkpoint is {Path(callback.last_model_path)}"
    return "no checkpoint had been saved yet"
