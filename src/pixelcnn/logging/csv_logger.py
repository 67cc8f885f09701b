"""Lightning's ``CSVLogger``, except that a resumed run appends to its ``metrics.csv`` instead of deleting it."""

from __future__ import annotations

import csv

from pytorch_lightning.loggers import CSVLogger
from pytorch_lightning.loggers.csv_logs import ExperimentWriter
from pytorch_lightning.loggers.logger import rank_zero_experiment


class AppendingExperimentWriter(ExperimentWriter):
    """Keeps an existing ``metrics.csv`` (Lightning's writer deletes it) and starts from its columns, so new rows
    are appended under the same header and a column the new segment does not log (``train/lr``) stays."""

    def _check_log_dir_exists(self) -> None:
        if self._fs.isfile(self.metrics_file_path):
            with self._fs.open(self.metrics_file_path, "r", newline="") as file:
                self.metrics_keys = sorted(csv.DictReader(file).fieldnames or [])

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
    """``CSVLogger`` writing through ``AppendingExperimentWriter``: one ``metrics.csv`` per run folder, across
    resumes (rows of a resumed segment follow the rows written before the stop)."""

    @property
    @rank_zero_experiment
    def experiment(self) -> ExperimentWriter:
        if self._experiment is None:
            self._fs.makedirs(self.root_dir, exist_ok=True)
            self._experiment = AppendingExperimentWriter(log_dir=self.log_dir)
        return self._experiment
