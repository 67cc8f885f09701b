"""Stops training at the first NaN or infinite loss or weight, and never lets a checkpoint hold such weights."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytorch_lightning as pl
import torch
from pytorch_lightning.callbacks import ModelCheckpoint

from pixelcnn.errors import NonFiniteLossError

ADVICE = (
    "lower model.optimizer.lr, set trainer.gradient_clip_val=1.0 or check the data, then resume from a good "
    "checkpoint (ckpt_path=...)"
)


def all_finite(tensors: list[torch.Tensor]) -> bool:
    """True when no floating-point tensor holds a NaN or an infinity (one device sync)."""
    floats = [t.detach() for t in tensors if t.is_floating_point() and t.numel()]
    return not floats or bool(torch.stack([torch.isfinite(t).all() for t in floats]).all())


class StopOnNonFiniteLoss(pl.Callback):
    """Raises ``NonFiniteLossError`` naming the step and the newest good checkpoint when the loss (before
    ``backward``) or a weight (after each optimizer step) is not finite on any rank.

    It runs before the checkpoint callbacks (Lightning orders those last), so no checkpoint of non-finite weights is
    written: the one it names is the newest good one. As a last line, ``on_save_checkpoint`` refuses to let any
    checkpoint with non-finite weights be written. Under DDP every rank takes the same decision (one boolean
    all-reduce), so all ranks stop together instead of hanging in the next collective.
    """

    def on_before_backward(self, trainer: pl.Trainer, pl_module: pl.LightningModule, loss: torch.Tensor) -> None:
        if self.decide(trainer, not all_finite([loss])):
            value = loss.detach().float().flatten()[0].item()
            raise NonFiniteLossError(
                f"the training loss is {value} at global step {trainer.global_step} (epoch {trainer.current_epoch}); "
                f"training stopped before this step was applied, {newest_checkpoint_note(trainer)}; {ADVICE}"
            )

    def on_train_batch_end(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, outputs: Any, batch: Any, batch_idx: int
    ) -> None:
        if self.decide(trainer, not all_finite(list(pl_module.parameters()))):
            raise NonFiniteLossError(
                f"the weights became NaN or infinite at global step {trainer.global_step} (epoch "
                f"{trainer.current_epoch}); training stopped and no checkpoint of them was written, "
                f"{newest_checkpoint_note(trainer)}; {ADVICE}"
            )

    def on_save_checkpoint(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, checkpoint: dict[str, Any]
    ) -> None:
        if not all_finite(list(checkpoint.get("state_dict", {}).values())):
            raise NonFiniteLossError(
                f"refusing to write a checkpoint with NaN or infinite weights at global step {trainer.global_step}; "
                f"{newest_checkpoint_note(trainer)}; {ADVICE}"
            )

    @staticmethod
    def decide(trainer: pl.Trainer, bad: bool) -> bool:
        return trainer.strategy.reduce_boolean_decision(bad, all=False) if trainer.world_size > 1 else bad


def newest_checkpoint_note(trainer: pl.Trainer) -> str:
    """The newest checkpoint file any checkpoint callback wrote (all are finite: see ``on_save_checkpoint``)."""
    paths = {
        Path(path)
        for callback in trainer.callbacks
        if isinstance(callback, ModelCheckpoint)
        for path in (callback.last_model_path, callback.best_model_path)
        if path and Path(path).is_file()
    }
    if not paths:
        return "no checkpoint had been saved yet"
    return f"the newest good checkpoint is {max(paths, key=lambda p: p.stat().st_mtime_ns)}"
