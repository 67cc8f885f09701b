"""Send scalars and PNG figures to every configured Lightning logger, each in the form it understands.

- W&B: ``wandb.Image`` under the key (``WandbLogger.log_image``);
- TensorBoard: ``SummaryWriter.add_image`` (uint8, CHW);
- CSV: a row ``step,key,path`` in ``images.csv`` next to ``metrics.csv`` (the PNG stays where it was written).

Loggers of other kinds get the scalars only.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from pathlib import Path

import torch
from pytorch_lightning.loggers import CSVLogger, Logger, TensorBoardLogger, WandbLogger
from pytorch_lightning.utilities import rank_zero_only
from torchvision.io import ImageReadMode, read_image

IMAGES_CSV = "images.csv"


def read_png(path: str | Path) -> torch.Tensor:
    """A PNG file -> uint8 tensor (3,H,W)."""
    return read_image(str(path), mode=ImageReadMode.RGB)


@rank_zero_only
def log_image(loggers: Iterable[Logger], key: str, path: str | Path, step: int | None = None) -> None:
    """Log the PNG at ``path`` under ``key`` (e.g. ``samples``, ``figures/class_rows``) to every logger."""
    path = Path(path)
    for logger in loggers:
        if isinstance(logger, WandbLogger):
            logger.log_image(key=key, images=[str(path)], step=step)
        elif isinstance(logger, TensorBoardLogger):
            logger.experiment.add_image(key, read_png(path), global_step=step or 0, dataformats="CHW")
        elif isinstance(logger, CSVLogger):
            append_image_row(Path(logger.log_dir) / IMAGES_CSV, key, path, step)


def append_image_row(table: Path, key: str, path: Path, step: int | None) -> None:
    """Append ``step,key,path`` to the CSV logger's image table (with a header when it is new)."""
    table.parent.mkdir(parents=True, exist_ok=True)
    is_new = not table.exists()
    with open(table, "a", newline="") as file:
        writer = csv.writer(file)
        if is_new:
            writer.writerow(["step", "key", "path"])
        writer.writerow([step if step is not None else "", key, str(path.resolve())])


@rank_zero_only
def log_scalars(loggers: Iterable[Logger], metrics: Mapping[str, float], step: int | None = None) -> None:
    """Log plain float metrics to every logger and flush them (used outside a Trainer, e.g. by eval.py)."""
    for logger in loggers:
        logger.log_metrics(dict(metrics), step=step)
        logger.save()


def log_figures(loggers: Iterable[Logger], figures: Mapping[str, str | Path], step: int | None = None) -> None:
    """Log each figure (name -> PNG) under ``figures/<name>``."""
    for name, path in figures.items():
        log_image(loggers, f"figures/{name}", path, step=step)
