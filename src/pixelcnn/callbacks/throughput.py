"""Training throughput in images per second, logged once per epoch as ``train/images_per_sec``."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import pytorch_lightning as pl
import torch


class ImagesPerSecond(pl.Callback):
    """Images per second of training step time (forward, backward, optimizer), summed over all ranks.

    Only the time inside training batches is counted, so validation, sampling and checkpointing in between do
    not lower the number; data loading is not counted either. CUDA is synchronised around each batch.
    """

    def __init__(self, key: str = "train/images_per_sec") -> None:
        super().__init__()
        self.key = key
        self.seconds = 0.0
        self.images = 0
        self._start = 0.0

    def on_train_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.seconds, self.images = 0.0, 0

    def on_train_batch_start(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, batch: Any, batch_idx: int
    ) -> None:
        synchronize(pl_module.device)
        self._start = time.perf_counter()

    def on_train_batch_end(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, outputs: Any, batch: Any, batch_idx: int
    ) -> None:
        synchronize(pl_module.device)
        self.seconds += time.perf_counter() - self._start
        self.images += batch_size(batch) * trainer.world_size

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if self.seconds > 0:
            pl_module.log(self.key, self.images / self.seconds, on_step=False, on_epoch=True, rank_zero_only=True)


def batch_size(batch: Any) -> int:
    """Number of images in a batch ``x`` or ``(x, y, ...)`` with x (B,C,H,W)."""
    x = batch[0] if isinstance(batch, Sequence) and not isinstance(batch, torch.Tensor) else batch
    return int(x.shape[0])


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
