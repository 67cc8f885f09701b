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

    def _rewrite_with_new_header(self, fieldnames: list[str]) -> None:
        """Lightning's rewrite under a wider header (a new column), whole or not at all: written to a temporary
        file next to it, then renamed over it, so a full disk in the middle keeps the history."""
        with self._fs.open(self.metrics_file_path, "r", newline="") as file:
            rows = list(csv.DictReader(file))
        temporary = f"{self.metrics_file_path}.tmp"
        try:
            with self._fs.open(temporary, "w", newline="") as file:
                writer = csv.DictWriter(file, fieldnames=fieldnames)
                writer.writeheader()
                writer.writerows(rows)
            self._fs.mv(temporary, self.metrics_file_path)
        finally:
            if self._fs.exists(temporary):
                self._fs.rm_file(temporary)


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
            writer = super().experiment
        if fs.isfile(metrics + ASIDE):
            fs.mv(metrics + ASIDE, writer.metrics_file_path)
            with fs.open(writer.metrics_file_path, "r", newline="") as file:
                writer.metrics_keys = sorted(csv.DictReader(file).fieldnames or [])
        self._history_kept = True
        return writer
