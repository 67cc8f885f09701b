"""The best-checkpoint callback: Lightning's ``ModelCheckpoint`` that never ranks a NaN or infinite score."""

from __future__ import annotations

import pytorch_lightning as pl
import torch
from pytorch_lightning.callbacks import ModelCheckpoint


class FiniteModelCheckpoint(ModelCheckpoint):
    """``ModelCheckpoint`` whose top-k only admits finite values of ``monitor``.

    Lightning ranks a NaN score as the worst one but still saves it while fewer than ``save_top_k`` are kept, so
    a first validation of NaN bits/dim became "the best checkpoint" that ``train.py`` then tests and reports.
    Here such a score is never saved as best (``last.ckpt``, written by ``LastCheckpoint``, still is). Checkpoints
    of non-finite weights are refused before any write by ``StopOnNonFiniteLoss``.
    """

    def check_monitor_top_k(self, trainer: pl.Trainer, current: torch.Tensor | None = None) -> bool:
        if current is not None and not bool(torch.isfinite(torch.as_tensor(current)).all()):
            return False
        return super().check_monitor_top_k(trainer, current)
