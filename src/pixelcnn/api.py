"""The public Python surface: ``load_model``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from pixelcnn.checkpoints.reader import module_from_checkpoint, read_checkpoint


def load_model(ckpt_path: str | Path, map_location: str | torch.device = "cpu") -> Any:
    """The LightningModule saved in ``ckpt_path`` (any model kind of this repo, or the triplet embedder), in eval
    mode, computing with the averaged weights when the run averaged them. Loads with ``weights_only=True`` and
    builds only this package's own classes."""
    return module_from_checkpoint(read_checkpoint(ckpt_path, map_location), ckpt_path, map_location)
