"""Training throughput through Lightning's ``ThroughputMonitor``, logged once per epoch to every logger:
``train/images_per_sec``, ``train/flops_per_sec`` and ``train/mfu`` (model FLOP utilisation)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytorch_lightning as pl
import torch
from pytorch_lightning.callbacks import ThroughputMonitor
from pytorch_lightning.trainer.states import RunningStage
from pytorch_lightning.utilities.rank_zero import rank_zero_only


def batch_size(batch: Any) -> int:
    """Number of images in a batch ``x`` or ``(x, y, ...)`` with x (B,C,H,W)."""
    x = batch[0] if isinstance(batch, Sequence) and not isinstance(batch, torch.Tensor) else batch
    return int(x.shape[0])


class TrainingThroughput(ThroughputMonitor):
    """Lightning's ``ThroughputMonitor`` counted per training epoch and logged at its end, so short runs log it too.

    Per epoch (rank 0, batch sizes assumed equal on all ranks): ``<prefix>images_per_sec``, images of all ranks
    per second of training wall time (data loading included, validation excluded, CUDA synchronised);
    ``<prefix>flops_per_sec``, FLOP/s per device from the module's ``flops_per_batch`` (forward + backward, counted
    once by ``torch.utils.flop_counter``; omitted when the module has none); ``<prefix>mfu``, that over the device's
    peak FLOP/s in the trainer's precision as Lightning knows it (``get_available_flops``: CUDA / TPU; omitted on
    CPU). Lightning's own per-step logging (every ``log_every_n_steps`` over a rolling window) is off: one value
    per epoch, at the step of the epoch's other metrics.
    """

    def __init__(self, prefix: str = "train/") -> None:
        super().__init__(batch_size_fn=batch_size)
        self.prefix = prefix

    def _compute(self, trainer: pl.Trainer, iter_num: int | None = None) -> None:
        """No per-step logging: ``on_train_epoch_end`` logs the epoch's numbers."""

    @rank_zero_only
    def on_train_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._start(trainer)  # fitting: zero the counters and restart the clock

    @rank_zero_only
    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        totals = self._throughputs[RunningStage.TRAINING].compute()  # time, batches, samples of this rank
        if not self._batches.get(RunningStage.TRAINING) or totals["time"] <= 0:
            return
        seconds = totals["time"]
        values = {"images_per_sec": totals["samples"] * trainer.world_size / seconds}
        flops = getattr(pl_module, "flops_per_batch", None)
        if flops:
            values["flops_per_sec"] = flops * totals["batches"] / seconds
            if self.available_flops:
                values["mfu"] = values["flops_per_sec"] / self.available_flops
        for name, value in values.items():
            pl_module.log(self.prefix + name, value, on_step=False, on_epoch=True, rank_zero_only=True)
