"""Training throughput, logged once per epoch to every logger: ``train/images_per_sec``, ``train/flops_per_sec``
and ``train/mfu`` (model FLOP utilisation)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import pytorch_lightning as pl
import torch
from lightning_fabric.utilities.throughput import get_available_flops
from pytorch_lightning.utilities.rank_zero import rank_zero_only


def batch_size(batch: Any) -> int:
    """Number of images in a batch ``x`` or ``(x, y, ...)`` with x (B,C,H,W)."""
    x = batch[0] if isinstance(batch, Sequence) and not isinstance(batch, torch.Tensor) else batch
    return int(x.shape[0])


def compute_dtype(precision: str) -> torch.dtype:
    """The dtype the matmuls run in under ``trainer.precision`` (``32-true``, ``16-mixed``, ``bf16-mixed``, ...)."""
    for prefix, dtype in (("64", torch.float64), ("bf16", torch.bfloat16), ("16", torch.float16)):
        if str(precision).startswith(prefix):
            return dtype
    return torch.float32


class TrainingThroughput(pl.Callback):
    """Per training epoch (rank 0, batch sizes assumed equal on all ranks), from Lightning's public hooks:

    ``<prefix>images_per_sec``, images of all ranks per second of training wall time (data loading included,
    validation excluded, CUDA synchronised); ``<prefix>flops_per_sec``, FLOP/s per device from the module's
    ``flops_per_batch`` (forward + backward, counted once by ``torch.utils.flop_counter``; omitted when the module
    has none); ``<prefix>mfu``, that over the device's peak FLOP/s in the trainer's precision as Lightning knows it
    (``get_available_flops``: known GPUs; omitted on CPU). One value per epoch, at the step of its other metrics.
    """

    def __init__(self, prefix: str = "train/") -> None:
        super().__init__()
        self.prefix = prefix
        self.peak_flops: int | None = None
        self.start = self.seconds = 0.0
        self.images = self.batches = 0

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        self.peak_flops = get_available_flops(trainer.strategy.root_device, compute_dtype(trainer.precision))

    def clock(self, trainer: pl.Trainer) -> float:
        if trainer.strategy.root_device.type == "cuda":
            torch.cuda.synchronize()  # the time of the work queued so far, not of its launch
        return time.perf_counter()

    @rank_zero_only
    def on_train_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.start, self.seconds, self.images, self.batches = self.clock(trainer), 0.0, 0, 0

    @rank_zero_only
    def on_train_batch_end(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, outputs: Any, batch: Any, batch_idx: int
    ) -> None:
        self.images += batch_size(batch)
        self.batches += 1
        self.seconds = self.clock(trainer) - self.start  # up to the last training batch: validation excluded

    @rank_zero_only
    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if not self.batches or self.seconds <= 0:
            return
        values = {"images_per_sec": self.images * trainer.world_size / self.seconds}
        flops = getattr(pl_module, "flops_per_batch", None)
        if flops:
            values["flops_per_sec"] = flops * self.batches / self.seconds
            if self.peak_flops:
                values["mfu"] = values["flops_per_sec"] / self.peak_flops
        for name, value in values.items():
            pl_module.log(self.prefix + name, value, on_step=False, on_epoch=True, rank_zero_only=True)
