"""Stores the resolved run config in every checkpoint, so ``eval.py`` can rebuild the data module from it."""

from __future__ import annotations

from typing import Any

import pytorch_lightning as pl

from pixelcnn.checkpoints.stored import check_no_interpolation


class ConfigInCheckpoint(pl.Callback):
    """Adds ``checkpoint["pixelcnn_config"]``: a plain dict (loads with ``weights_only=True``).

    ``config`` must be resolved (``OmegaConf.to_container(cfg, resolve=True)``): before training it and the
    model's hyper-parameters are checked to hold no ``${`` (an escaped ``\\${...}`` resolves to one), which every
    reader of the checkpoint would refuse.
    """

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__()
        self.config = config

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        check_no_interpolation(self.config, "the run config to store in checkpoints")
        check_no_interpolation(dict(pl_module.hparams), "the model's hyper-parameters", "model")

    def on_save_checkpoint(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, checkpoint: dict[str, Any]
    ) -> None:
        checkpoint["pixelcnn_config"] = self.config
