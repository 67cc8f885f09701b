"""The CSV logger keeps a run folder's metrics.csv across resumes: earlier rows and columns stay, new rows follow."""

from __future__ import annotations

import csv
import warnings
from pathlib import Path

from pixelcnn.logging.csv_logger import ASIDE, ResumableCSVLogger


def segment(folder: Path, *rows: dict[str, float]) -> None:
    """One training segment: a new logger on the same folder (as a resume makes), its rows, its end."""
    logger = ResumableCSVLogger(folder, name="csv", version="")
    logger.log_hyperparams({"seed": 1})
    for step, row in enumerate(rows, start=len(read(folder))):
        logger.log_metrics(row, step=step)
    logger.finalize("success")


def read(folder: Path) -> list[dict[str, str]]:
    path = folder / "csv" / "metrics.csv"
    if not path.is_file():
        return []
    with open(path, newline="") as file:
        return list(csv.DictReader(file))


def test_a_resumed_segment_appends_under_the_same_header_and_says_nothing_of_deleting(tmp_path: Path) -> None:
    segment(tmp_path, {"train/bpd": 3.0, "train/lr": 0.1})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Lightning's "Previous log files ... will be deleted" is not true here
        segment(tmp_path, {"train/bpd": 2.0}, {"val/bpd": 2.5})
    assert read(tmp_path) == [
        {"step": "0", "train/bpd": "3.0", "train/lr": "0.1", "val/bpd": ""},
        {"step": "1", "train/bpd": "2.0", "train/lr": "", "val/bpd": ""},
        {"step": "2", "train/bpd": "", "train/lr": "", "val/bpd": "2.5"},
    ]
    assert sorted(p.name for p in (tmp_path / "csv").iterdir()) == ["hparams.yaml", "metrics.csv"]


def test_a_start_killed_while_the_history_was_aside_keeps_it(tmp_path: Path) -> None:
    segment(tmp_path, {"train/bpd": 3.0})
    metrics = tmp_path / "csv" / "metrics.csv"
    metrics.rename(metrics.with_name(metrics.name + ASIDE))  # where a kill at that moment leaves it
    segment(tmp_path, {"train/bpd": 2.0})
    assert [row["train/bpd"] for row in read(tmp_path)] == ["3.0", "2.0"]
