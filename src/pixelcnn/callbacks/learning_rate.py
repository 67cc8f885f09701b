"""The learning rate of each epoch, logged with the epoch's other metrics (``train/bpd``, ``val/bpd``, samples).

Lightning's ``LearningRateMonitor`` logs at the start of an epoch, one step after the previous epoch's metrics, so
W&B curves of one epoch would not line up; this reads the rates when the epoch starts (Lightning steps epoch
schedulers with the epoch's last batch) and logs them through ``self.log`` at its end, on the step Lightning gives
every epoch-end metric.
"""

from __future__ import annotations

import pytorch_lightning as pl


class LearningRate(pl.Callback):
    def __init__(self, key: str = "train/lr") -> None:
        super().__init__()
        self.key = key
        self.rates: list[float] = []

    def on_train_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.rates = [float(optimizer.param_groups[0]["lr"]) for optimizer in trainer.optimizers]

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        for index, lr in enumerate(self.rates):
            key = self.key if index == 0 else f"{self.key}_{index}"
            pl_module.log(key, lr, on_step=False, on_epoch=True, rank_zero_only=True)
