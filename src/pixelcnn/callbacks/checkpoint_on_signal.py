"""A checkpoint at SIGTERM, SIGUSR1 or SIGINT (cluster preemption, Ctrl+C), so a stopped run resumes where it was."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from types import FrameType

import pytorch_lightning as pl
from pytorch_lightning.callbacks import ModelCheckpoint
from pytorch_lightning.utilities.exceptions import SIGTERMException


class CheckpointOnSignal(pl.Callback):
    """Writes ``<checkpoints>/last.ckpt`` when training stops at a signal; ``saved`` is its path (else None).

    Lightning turns SIGTERM into a ``SIGTERMException`` at the next batch boundary (all DDP ranks together) and
    SIGINT into a ``KeyboardInterrupt``; both reach ``on_exception``, where the state at that step is saved. SIGUSR1
    is Lightning's under SLURM with auto-requeue (it saves ``hpc_ckpt_*.ckpt``, requeues the job and resumes from it);
    elsewhere this callback forwards SIGUSR1 as SIGTERM.
    """

    def __init__(self) -> None:
        super().__init__()
        self.saved: Path | None = None
        self.signal_name: str | None = None

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if hasattr(signal, "SIGUSR1") and signal.getsignal(signal.SIGUSR1) in (signal.SIG_DFL, None):
            signal.signal(signal.SIGUSR1, self.forward_as_sigterm)  # restored by Lightning's teardown

    def forward_as_sigterm(self, signum: int, frame: FrameType | None) -> None:
        self.signal_name = "SIGUSR1"
        os.kill(os.getpid(), signal.SIGTERM)

    def on_exception(self, trainer: pl.Trainer, pl_module: pl.LightningModule, exception: BaseException) -> None:
        if not isinstance(exception, SIGTERMException | KeyboardInterrupt) or trainer.state.fn != "fit":
            return
        self.signal_name = self.signal_name or ("SIGINT" if isinstance(exception, KeyboardInterrupt) else "SIGTERM")
        folder = next((c.dirpath for c in trainer.checkpoint_callbacks if isinstance(c, ModelCheckpoint)), None)
        path = Path(folder or trainer.default_root_dir) / f"{ModelCheckpoint.CHECKPOINT_NAME_LAST}.ckpt"
        trainer.save_checkpoint(path)
        self.saved = path
