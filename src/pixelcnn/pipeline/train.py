"""Training: compose -> instantiate -> fit -> test, returning the metric that sweeps optimise."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import hydra
import pytorch_lightning as pl
from omegaconf import DictConfig
from pytorch_lightning.callbacks import ModelCheckpoint

from pixelcnn.callbacks import ConfigInCheckpoint
from pixelcnn.data.base import ImageDataModule
from pixelcnn.pipeline.runtime import instantiate_group, log, print_config_tree, resolved, trainer_from_config


def train(cfg: DictConfig) -> dict[str, Any]:
    """Fit the configured model; test the best checkpoint; write ``metrics.json`` in the run folder.

    Returns the final metrics (``val/bpd``, ``test/bpd``, ``best_ckpt``, ...).
    """
    output_dir = Path(cfg.paths.output_dir)
    if cfg.get("print_config", True):
        print_config_tree(cfg, output_dir / "config_tree.log", first=("data", "model", "trainer"))
    pl.seed_everything(cfg.seed, workers=True)

    datamodule: ImageDataModule = hydra.utils.instantiate(cfg.data)
    datamodule.check_available()
    model: pl.LightningModule = hydra.utils.instantiate(cfg.model, _convert_="all")
    callbacks = [*instantiate_group(cfg.get("callbacks")), ConfigInCheckpoint(resolved(cfg))]
    loggers = instantiate_group(cfg.get("logger"))
    trainer = trainer_from_config(cfg, callbacks=callbacks, logger=loggers or False)
    for logger in loggers:
        logger.log_hyperparams(resolved(cfg))

    if cfg.get("train", True):
        trainer.fit(model, datamodule=datamodule, ckpt_path=cfg.get("ckpt_path"))
    metrics = {k: float(v) for k, v in trainer.callback_metrics.items() if k.startswith(("train/", "val/"))}

    checkpoint = next((c for c in trainer.callbacks if isinstance(c, ModelCheckpoint)), None)
    best = checkpoint.best_model_path if checkpoint is not None and checkpoint.best_model_path else None
    if cfg.get("test", True):
        if best is None:
            log.warning("no best checkpoint was saved: testing the current weights")
        results = trainer.test(model, datamodule=datamodule, ckpt_path=best, weights_only=True)
        metrics.update({k: float(v) for k, v in results[0].items()})
    metrics["best_ckpt"] = best
    metrics["output_dir"] = str(output_dir)

    if trainer.is_global_zero:
        (output_dir / "metrics.json").write_text(json.dumps(metrics, indent=2))
        summary = ", ".join(f"{k} {v:.4f}" for k, v in metrics.items() if k.startswith(("val/", "test/")))
        print(f"final: {summary}  (run folder {output_dir})")
    return metrics


def optimized_value(cfg: DictConfig, metrics: dict[str, Any]) -> float | None:
    """The value a Hydra sweeper minimises (``optimized_metric``); NaN when the run did not produce it."""
    name = cfg.get("optimized_metric")
    if not name:
        return None
    value = metrics.get(name)
    return float(value) if value is not None else math.nan
