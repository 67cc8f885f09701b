"""The public Python surface: ``load_model`` and ``load_datamodule``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from pixelcnn.checkpoints.reader import datamodule_from_checkpoint, module_from_checkpoint, read_checkpoint


def load_model(ckpt_path: str | Path, map_location: str | torch.device = "cpu") -> Any:
    """The LightningModule saved in ``ckpt_path`` (any model kind of this repo, or the triplet embedder), in eval
    mode, computing with the averaged weights when the run averaged them. Loads with ``weights_only=True``, builds
    only this package's own classes, fetches nothing and refuses a stored ``${...}`` or non-finite weights."""
    return module_from_checkpoint(read_checkpoint(ckpt_path, map_location), ckpt_path, map_location)


def load_datamodule(ckpt_path: str | Path) -> Any:
    """The data module the run of ``ckpt_path`` trained on, rebuilt from the config it stored, with the same checks
    as ``load_model`` (downloads off; every folder it names must exist here)."""
    return datamodule_from_checkpoint(read_checkpoint(ckpt_path), ckpt_path)
