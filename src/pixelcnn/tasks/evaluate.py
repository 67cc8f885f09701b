"""Evaluation of a checkpoint: bits/dim on the chosen splits and a sample grid, in the run folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import hydra
import pytorch_lightning as pl
from omegaconf import DictConfig, OmegaConf
from pytorch_lightning.loggers import WandbLogger

from pixelcnn.checkpoints.reader import datamodule_from_checkpoint, module_from_checkpoint, read_checkpoint
from pixelcnn.data.base import SPLITS, ImageDataModule
from pixelcnn.data.validation import check_model_fits_data
from pixelcnn.figures import draw_figures
from pixelcnn.logging.eval_config import drawn_figures, eval_run_config
from pixelcnn.logging.lineage import eval_run_options, model_artifact, use_model_artifact
from pixelcnn.logging.media import log_figures, log_scalars
from pixelcnn.logging.run_info import run_info
from pixelcnn.tasks.run_folder import check_fresh_folder
from pixelcnn.tasks.runtime import instantiate_group, print_config_tree, resolved, trainer_from_config
from pixelcnn.tasks.values import check_seed, check_splits


def data_module(cfg: DictConfig, checkpoint: dict[str, Any]) -> ImageDataModule:
    """``data=...`` from the command line, else the data module the checkpoint was trained with (rebuilt as
    ``pixelcnn.load_datamodule`` does: only this package's classes, no ``${...}``, no download, existing folders)."""
    if cfg.get("data") is not None:
        return hydra.utils.instantiate(cfg.data)
    return datamodule_from_checkpoint(checkpoint, cfg.ckpt_path)


def compare_metrics(cfg: DictConfig, trainer: pl.Trainer, datamodule: ImageDataModule) -> dict[str, Any]:
    """``compare/{split}/bpd`` of a second checkpoint (``compare_ckpt``, e.g. the unconditional model the
    auto-encoder is compared with) on the same data and splits."""
    other = module_from_checkpoint(read_checkpoint(cfg.compare_ckpt), cfg.compare_ckpt)
    check_model_fits_data(other, datamodule, "pass the matching data=...", what=f"compare_ckpt={cfg.compare_ckpt}")
    metrics: dict[str, Any] = {"compare/ckpt_path": str(Path(cfg.compare_ckpt).resolve())}
    for split in cfg.splits:
        results = trainer.test(other, dataloaders=datamodule.eval_dataloader(split, trainer), verbose=False)
        metrics.update({f"compare/{split}/{k.split('/', 1)[1]}": float(v) for k, v in results[0].items()})
    return metrics


def evaluate(cfg: DictConfig) -> dict[str, Any]:
    """Writes ``metrics.json`` ({split}/bpd for each split) and the model's figures into the run folder."""
    output_dir = Path(cfg.paths.output_dir)
    check_splits(cfg.splits, SPLITS)
    check_seed(cfg.get("seed"), none_ok=True)
    check_fresh_folder(output_dir, None, resumable=False)  # eval.py hydra.run.dir=<a training run> would overwrite it
    if cfg.get("print_config", True):
        print_config_tree(cfg, output_dir / "config_tree.log")
    checkpoint = read_checkpoint(cfg.ckpt_path)
    model = module_from_checkpoint(checkpoint, cfg.ckpt_path)
    datamodule = data_module(cfg, checkpoint)
    check_model_fits_data(model, datamodule, "pass the matching data=...")

    trainer = trainer_from_config(cfg, logger=False, callbacks=[])
    metrics: dict[str, Any] = {"ckpt_path": str(Path(cfg.ckpt_path).resolve())}
    for split in cfg.splits:
        results = trainer.test(model, dataloaders=datamodule.eval_dataloader(split, trainer), verbose=False)
        # test/bpd, or test/mse for the MSE auto-encoder, renamed after the split
        metrics.update({f"{split}/{k.split('/', 1)[1]}": float(v) for k, v in results[0].items()})
        metrics[f"{split}/num_images"] = len(datamodule.datasets[split])
    if cfg.get("compare_ckpt"):
        metrics.update(compare_metrics(cfg, trainer, datamodule))

    if trainer.is_global_zero:
        model.to(trainer.strategy.root_device)
        sampling = OmegaConf.to_container(cfg.get("sampling") or OmegaConf.create({}), resolve=True)
        figures = draw_figures(instantiate_group(cfg.get("figures")), model, datamodule, output_dir, sampling)
        metrics.update({f"figures/{name}": str(path) for name, path in figures.items()})
        (output_dir / "metrics.json").write_text(json.dumps(metrics, indent=2))
        print(", ".join(f"{k} {v:.4f}" for k, v in metrics.items() if k.endswith(("/bpd", "/mse"))))
        log_evaluation(cfg, metrics, figures, checkpoint, model)
    return metrics


def log_evaluation(
    cfg: DictConfig, metrics: dict[str, Any], figures: dict[str, Path], checkpoint: dict[str, Any], model: Any
) -> None:
    """Send the metrics and every figure to the loggers of ``logger=...`` (none by default), at the checkpoint's
    training step, so eval numbers line up with the training curves.

    The logged config is the training run's (``pixelcnn_config``, so eval runs filter and group by the same
    hyper-parameters), this evaluation's options under ``eval`` (both without the figures the model kind does not
    draw: ``eval_run_config``) and ``run`` (parameter counts, commit, command).
    A W&B eval run is named ``eval <training run's name>``, joins the training run's group and uses the model
    artifact the checkpoint came from.
    """
    if not cfg.get("logger"):
        return
    train_config = checkpoint.get("pixelcnn_config") or {}
    artifact = model_artifact(cfg.ckpt_path, train_config)
    loggers = []
    for key, item in cfg.logger.items():
        options = eval_run_options(train_config, list(cfg.tags)) if key == "wandb" else {}
        loggers.append(hydra.utils.instantiate(item, **options))
    drawn = drawn_figures(cfg.get("figures"), model)
    config = {
        **eval_run_config(train_config, resolved(cfg), drawn, model_artifact=artifact),
        **run_info(model, cfg.paths.root_dir),
    }
    for logger in loggers:
        logger.log_hyperparams(config)
        if artifact is not None and isinstance(logger, WandbLogger):
            use_model_artifact(logger.experiment, artifact, offline=bool(cfg.logger.wandb.offline))
    step = int(checkpoint.get("global_step", 0))
    scalars = {k: float(v) for k, v in metrics.items() if isinstance(v, int | float)}
    log_scalars(loggers, scalars, step=step)
    log_figures(loggers, figures, step=step)
    for logger in loggers:
        logger.finalize("success")
