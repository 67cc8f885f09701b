"""Notebooks read the newest run's last.ckpt by modification time (a hand-named folder does not win by its name) and
say which one they read."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pixelcnn.checkpoints.find import choose_checkpoint, newest_checkpoint
from pixelcnn.errors import CheckpointError


def checkpoint(root: Path, run: str, mtime: int) -> Path:
    path = root / run / "checkpoints" / "last.ckpt"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"")
    os.utime(path, (mtime, mtime))
    return path


def test_the_newest_run_wins_by_time_not_by_name(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    checkpoint(tmp_path, "runs/mine", 1_000)  # sorts after every dated folder, but is older
    dated = checkpoint(tmp_path, "runs/2026-12-06_10-00-00", 2_000)
    checkpoint(tmp_path, "runs/2026-12-06_11-00-00", 1_500)
    assert newest_checkpoint(tmp_path) == dated
    job = checkpoint(tmp_path, "multiruns/2026-12-05_09-00-00/3", 3_000)  # a sweep's job counts too
    assert choose_checkpoint(None, tmp_path, "PIXELCNN_CKPT") == job
    assert f"checkpoint: {job} (the newest under {tmp_path}" in capsys.readouterr().out


def test_a_given_checkpoint_is_used_and_named(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    mine = checkpoint(tmp_path, "runs/mine", 1_000)
    checkpoint(tmp_path, "runs/2026-12-06_10-00-00", 2_000)
    assert choose_checkpoint(str(mine), tmp_path, "PIXELCNN_CKPT") == mine
    assert capsys.readouterr().out == f"checkpoint: {mine} (from PIXELCNN_CKPT)\n"
    with pytest.raises(CheckpointError, match="PIXELCNN_CKPT=.*nothing.ckpt: no such checkpoint file"):
        choose_checkpoint(str(tmp_path / "nothing.ckpt"), tmp_path, "PIXELCNN_CKPT")


def test_no_checkpoint_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="no checkpoint under .*: train one with `python train.py`"):
        newest_checkpoint(tmp_path)
