"""Training: compose -> instantiate -> fit -> test, returning the metric that sweeps optimise."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import hydra
import pytorch_lightning as pl
from omegaconf import DictConfig, OmegaConf
from pytorch_lightning.callbacks import ModelCheckpoint
from pytorch_lightning.loggers import Logger

from pixelcnn.callbacks import ConfigInCheckpoint, StopOnNonFiniteLoss
from pixelcnn.data.base import ImageDataModule
from pixelcnn.log_media import log_figures
from pixelcnn.pipeline.distributed import check_sweep_strategy, rank_report
from pixelcnn.pipeline.resume import check_resumable, resolve_ckpt_path
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
    ckpt_path = resolve_ckpt_path(cfg.get("ckpt_path"), output_dir) if cfg.get("train", True) else None
    if ckpt_path is not None:
        check_resumable(ckpt_path, model)
        log.info(f"resuming from {ckpt_path}")
    callbacks = [*instantiate_group(cfg.get("callbacks")), ConfigInCheckpoint(resolved(cfg)), StopOnNonFiniteLoss()]
    loggers = instantiate_group(cfg.get("logger"))
    trainer = trainer_from_config(cfg, callbacks=callbacks, logger=loggers or False)
    check_sweep_strategy(trainer)
    for logger in loggers:
        logger.log_hyperparams(resolved(cfg))

    if cfg.get("train", True):
        trainer.fit(model, datamodule=datamodule, ckpt_path=ckpt_path, weights_only=True)
        if trainer.world_size > 1:
            log.info(rank_report(trainer, model))
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

    if trainer.is_global_zero and cfg.get("final_figures") and hasattr(model, "eval_figures"):
        options = OmegaConf.create({**resolved(cfg), **OmegaConf.to_container(cfg.final_figures, resolve=True)})
        figures = final_figures(model, datamodule, trainer, loggers, output_dir / "figures", options)
        metrics.update({f"figures/{name}": str(path) for name, path in figures.items()})

    if trainer.is_global_zero:
        (output_dir / "metrics.json").write_text(json.dumps(metrics, indent=2))
        shown = [k for k in ("val/bpd", "test/bpd") if k in metrics]
        shown = shown or sorted(k for k in metrics if k.startswith(("val/", "test/")))  # models without bits/dim
        summary = ", ".join(f"{k} {metrics[k]:.4f}" for k in shown)
        print(f"final: {summary}  (run folder {output_dir})")
    return metrics


def final_figures(
    model: pl.LightningModule,
    datamodule: ImageDataModule,
    trainer: pl.Trainer,
    loggers: list[Logger],
    folder: Path,
    options: DictConfig,
) -> dict[str, Path]:
    """The model's ``eval_figures`` (samples, class rows, ...) of the tested weights: into ``folder``, to loggers."""
    model.to(trainer.strategy.root_device)
    figures = model.eval_figures(datamodule, folder, options)
    log_figures(loggers, figures, step=trainer.global_step)
    for logger in loggers:
        logger.finalize("success")
    return figures


def optimized_value(cfg: DictConfig, metrics: dict[str, Any]) -> float | None:
    """The value a Hydra sweeper minimises (``optimized_metric``); NaN when the run did not produce it."""
    name = cfg.get("optimized_metric")
    if not name:
        return None
    value = metrics.get(name)
    return float(value) if value is not None else math.nan
