"""Stores the resolved run config in every checkpoint, so ``eval.py`` can rebuild the data module from it."""

from __future__ import annotations

from typing import Any

import pytorch_lightning as pl


class ConfigInCheckpoint(pl.Callback):
    """Adds ``checkpoint["pixelcnn_config"]``: a plain dict (loads with ``weights_only=True``)."""

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__()
        self.config = config

    def on_save_checkpoint(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, checkpoint: dict[str, Any]
    ) -> None:
        checkpoint["pixelcnn_config"] = self.config
