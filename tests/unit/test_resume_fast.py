"""Stopping and resuming in seconds: SIGTERM saves the step and exits 143 with one line, a resume keeps the CSV
history, and every checkpoint is read with ``weights_only`` (the reader, Lightning's resume and its test)."""

from __future__ import annotations

import csv
import errno
import os
import signal
from pathlib import Path

import pytest
import pytorch_lightning as pl
import torch

from pixelcnn.checkpoints.io import AtomicCheckpointIO
from pixelcnn.checkpoints.reader import read_checkpoint
from pixelcnn.errors import CheckpointError
from pixelcnn.logging.csv_logger import ResumableCSVLogger
from pixelcnn.tasks.errors import user_errors
from pixelcnn.tasks.train import train
from tests.helpers import FAST_TRAIN

BARE = [*FAST_TRAIN, "trainer.limit_train_batches=2", "trainer.limit_val_batches=1", "~callbacks.sample_grid"]
BARE += ["figures=none", "test=false"]


class SigtermAt(pl.Callback):
    """Sends this process SIGTERM after the optimizer step ``step`` (as a cluster preempting the job does)."""

    def __init__(self, step: int) -> None:
        self.step = step

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        if trainer.global_step == self.step:
            os.kill(os.getpid(), signal.SIGTERM)


def test_sigterm_saves_the_step_and_exits_143_with_one_line(make_config, tmp_path: Path, capsys) -> None:
    cfg = make_config(
        *BARE,
        "trainer.limit_train_batches=10",
        f"+callbacks.term._target_={__name__}.SigtermAt",
        "+callbacks.term.step=2",
    )
    with pytest.raises(SystemExit) as stopped, user_errors():
        train(cfg)
    lines = capsys.readouterr().err.strip().splitlines()
    last = tmp_path / "run" / "checkpoints" / "last.ckpt"
    assert stopped.value.code == 143 and len(lines) == 1, lines  # 128 + SIGTERM, as a shell reports it
    step = read_checkpoint(last)["global_step"]
    assert step >= 2 and lines[0] == (
        f"error: stopped by SIGTERM at global step {step}; saved {last}; resume with the same hydra.run.dir and "
        "ckpt_path=last"
    )


def csv_rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as file:
        return [{k: v for k, v in row.items() if v} for row in csv.DictReader(file)]


def log_segment(run: Path, rows: list[dict[str, float]], first_step: int) -> None:
    """One run segment's CSV logger (as conf/logger/csv.yaml builds it) logging ``rows``."""
    logger = ResumableCSVLogger(save_dir=str(run), name="csv", version="")
    for offset, metrics in enumerate(rows):
        logger.log_metrics(metrics, step=first_step + offset)
    logger.save()


def test_a_resumed_segment_appends_to_the_csv_history(tmp_path: Path) -> None:
    log_segment(tmp_path, [{"train/loss": 3.0, "train/lr": 0.1}, {"val/bpd": 2.5}], first_step=0)
    log_segment(tmp_path, [{"val/bpd": 2.0}], first_step=2)  # the resume logs no train/lr
    assert csv_rows(tmp_path / "csv" / "metrics.csv") == [
        {"train/loss": "3.0", "train/lr": "0.1", "step": "0"},
        {"val/bpd": "2.5", "step": "1"},
        {"val/bpd": "2.0", "step": "2"},
    ]


def test_a_full_disk_while_the_csv_gains_a_column_keeps_its_history(tmp_path: Path, monkeypatch) -> None:
    log_segment(tmp_path, [{"train/loss": 3.0}, {"train/loss": 2.0}], first_step=0)
    path = tmp_path / "csv" / "metrics.csv"
    before = path.read_bytes()

    def full(self, rows) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(csv.DictWriter, "writerows", full)
    with pytest.raises(OSError, match="No space left"):
        log_segment(tmp_path, [{"val/bpd": 2.5}], first_step=2)  # a new column: the file is rewritten
    assert path.read_bytes() == before and sorted(p.name for p in path.parent.iterdir()) == ["metrics.csv"]


class Gadget:
    """Not a tensor or a plain container: a pickle of it could run code, so ``weights_only`` refuses it."""

    built = 0

    def __setstate__(self, state: dict) -> None:
        Gadget.built += 1


def test_a_checkpoint_with_any_other_object_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "planted.ckpt"
    torch.save({"state_dict": {}, "extra": Gadget()}, path)
    with pytest.raises(CheckpointError, match="Gadget"):
        read_checkpoint(path)
    assert Gadget.built == 0


def test_resume_and_test_load_their_checkpoints_weights_only(make_config, monkeypatch) -> None:
    train(make_config(*BARE))
    seen: list[object] = []
    real = AtomicCheckpointIO.load_checkpoint

    def spy(self, path, map_location=None, weights_only=None):
        seen.append(weights_only)
        return real(self, path, map_location=map_location, weights_only=weights_only)

    monkeypatch.setattr(AtomicCheckpointIO, "load_checkpoint", spy)
    train(make_config(*BARE, "ckpt_path=last", "trainer.max_epochs=2", "test=true"))
    assert seen == [True, True], seen  # the resumed fit's last.ckpt, then the best checkpoint for testing
