"""One line when a run on the CPU will be slow: the measured time per epoch and the quick alternative."""

from __future__ import annotations

import math
import time
from typing import Any

import pytorch_lightning as pl

from pixelcnn.callbacks.eta import duration


def cost_line(seconds_per_step: float, steps_per_epoch: int) -> str:
    """``on the CPU one epoch takes about 3 h 10 min (17.2 s x 663 steps); ...``"""
    epoch = seconds_per_step * steps_per_epoch
    return (
        f"on the CPU one epoch takes about {duration(epoch)} ({seconds_per_step:.1f} s x {steps_per_epoch} steps, "
        "measured); on a GPU machine the same command uses the GPU, or model/backbone=default trains the quick network"
    )


class CPUCost(pl.Callback):
    """Times training steps ``1..steps`` (step 0 warms up) on the CPU and, when an epoch of them would take longer
    than ``min_epoch_minutes``, prints :func:`cost_line` once (rank 0). Never stops the run; silent on a GPU."""

    def __init__(self, steps: int = 2, min_epoch_minutes: float = 10.0) -> None:
        self.steps = steps
        self.min_epoch_minutes = min_epoch_minutes
        self.seen = 0  # training steps of this process so far (a resumed run counts from its restart)
        self.started = 0.0
        self.done = False

    def on_train_batch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule, *args: Any) -> None:
        if self.done or trainer.strategy.root_device.type != "cpu":
            return
        if self.seen == 0:
            self.started = time.perf_counter()
        elif self.seen >= self.steps:
            self.done = True
            self.report(trainer, (time.perf_counter() - self.started) / self.seen)
        self.seen += 1

    def report(self, trainer: pl.Trainer, per_step: float) -> None:
        steps = trainer.num_training_batches
        if not trainer.is_global_zero or not math.isfinite(steps):
            return
        if per_step * steps >= 60 * self.min_epoch_minutes:
            print(cost_line(per_step, int(steps)), flush=True)
