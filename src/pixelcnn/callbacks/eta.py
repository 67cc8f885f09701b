"""One line after every training epoch: its time, images per second and how long the run has left (ETA)."""

from __future__ import annotations

import datetime
import logging
import time
from typing import Any

import pytorch_lightning as pl

from pixelcnn.callbacks.throughput import batch_size

log = logging.getLogger("pixelcnn")


def fraction_done(trainer: pl.Trainer) -> float:
    """How much of the run is done, by whichever limit ends it first: ``max_epochs`` or ``max_steps``."""
    fractions = []
    if trainer.max_epochs is not None and trainer.max_epochs > 0:
        fractions.append((trainer.current_epoch + 1) / trainer.max_epochs)
    if trainer.max_steps is not None and trainer.max_steps > 0:
        fractions.append(trainer.global_step / trainer.max_steps)
    return min(1.0, max(fractions)) if fractions else 0.0


def duration(seconds: float) -> str:
    """``2 h 03 min``, ``4 min 05 s``, ``12 s``."""
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"


class RunETA(pl.Callback):
    """Rank 0 logs ``epoch 3/10: 14 s (1300 images, 93 images/s, validation included); about 1 min 38 s left
    (ETA 14:05)`` after each training epoch. The rate counts every second since training started (validation,
    sampling, checkpoints), so the ETA is what the wall clock will show; a resumed run counts from its restart."""

    def __init__(self) -> None:
        super().__init__()
        self.start = self.epoch_start = 0.0
        self.start_fraction = 0.0
        self.images = 0

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.start = time.perf_counter()
        self.start_fraction = fraction_done(trainer) if trainer.global_step > 0 else 0.0

    def on_train_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.epoch_start, self.images = time.perf_counter(), 0

    def on_train_batch_end(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, outputs: Any, batch: Any, batch_idx: int
    ) -> None:
        self.images += batch_size(batch) * trainer.world_size

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if not trainer.is_global_zero:
            return
        now = time.perf_counter()
        epoch_seconds = now - self.epoch_start
        done = fraction_done(trainer)
        line = (
            f"epoch {trainer.current_epoch + 1}/{trainer.max_epochs}: {duration(epoch_seconds)} ({self.images} images, "
            f"{self.images / max(epoch_seconds, 1e-9):.0f} images/s, validation included)"
        )
        if done < 1.0 and done > self.start_fraction:
            left = (now - self.start) * (1.0 - done) / (done - self.start_fraction)
            finish = datetime.datetime.now() + datetime.timedelta(seconds=left)
            line += f"; about {duration(left)} left (ETA {finish:%H:%M})"
        log.info(line)
