"""Lightning's ``CSVLogger``, except that a resumed run appends to its ``metrics.csv`` instead of deleting it."""

from __future__ import annotations

import csv
import os
import warnings
from typing import Any

from lightning_fabric.utilities.cloud_io import get_filesystem
from pytorch_lightning.loggers import CSVLogger
from pytorch_lightning.loggers.csv_logs import ExperimentWriter
from pytorch_lightning.loggers.logger import rank_zero_experiment

ASIDE = ".resuming"  # suffix of metrics.csv while Lightning's writer starts (a killed start leaves it there)


def grow_header_whole(writer: ExperimentWriter) -> None:
    """Before the writer's ``save``: when its rows bring new columns, rewrite ``metrics.csv`` under the wider header
    whole or not at all (a temporary file next to it, then renamed over it), so a full disk in the middle keeps the
    history; Lightning's writer then finds no new column and only appends."""
    new = set().union(*writer.metrics) - set(writer.metrics_keys)
    path = writer.metrics_file_path
    fs = get_filesystem(path)
    if not new or not fs.isfile(path):
        return
    keys = sorted({*writer.metrics_keys, *new})
    with fs.open(path, "r", newline="") as file:
        rows = list(csv.DictReader(file))
    temporary = f"{path}.tmp"
    try:
        with fs.open(temporary, "w", newline="") as file:
            table = csv.DictWriter(file, fieldnames=keys)
            table.writeheader()
            table.writerows(rows)
        fs.mv(temporary, path)
    finally:
        if fs.exists(temporary):
            fs.rm_file(temporary)
    writer.metrics_keys[:] = keys


def whole_header_saves(writer: ExperimentWriter) -> ExperimentWriter:
    """``writer`` whose ``save`` grows the header through ``grow_header_whole`` first."""
    save = writer.save

    def save_whole() -> None:
        grow_header_whole(writer)
        save()

    writer.save = save_whole
    return writer


class ResumableCSVLogger(CSVLogger):
    """``CSVLogger`` with one ``metrics.csv`` per run folder, across resumes: the rows of a resumed segment follow
    the rows written before the stop, under the same header, and a column the new segment does not log
    (``train/lr``) stays."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._history_kept = False

    @property
    @rank_zero_experiment
    def experiment(self) -> ExperimentWriter:
        """Lightning's writer. Lightning's writer deletes an existing ``metrics.csv`` when it starts, so the file is
        moved aside for that moment, then back, and the writer starts from its columns."""
        if self._history_kept:
            return super().experiment
        fs = get_filesystem(self.log_dir)
        metrics = os.path.join(self.log_dir, ExperimentWriter.NAME_METRICS_FILE)
        if fs.isfile(metrics):
            fs.mv(metrics, metrics + ASIDE)
        with warnings.catch_warnings():  # "... will be deleted": not true of this logger
            warnings.filterwarnings("ignore", message=r"Experiment logs directory .* exists and is not empty")
            writer = whole_header_saves(super().experiment)
        if fs.isfile(metrics + ASIDE):
            fs.mv(metrics + ASIDE, writer.metrics_file_path)
            with fs.open(writer.metrics_file_path, "r", newline="") as file:
                writer.metrics_keys = sorted(csv.DictReader(file).fieldnames or [])
        self._history_kept = True
        return writer
