"""Training: compose -> instantiate -> fit -> test, returning the metric that sweeps optimise."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import hydra
import pytorch_lightning as pl
from omegaconf import DictConfig, OmegaConf
from pytorch_lightning.callbacks import Callback, LearningRateMonitor, ModelCheckpoint, WeightAveraging
from pytorch_lightning.loggers import Logger
from pytorch_lightning.utilities.exceptions import SIGTERMException

from pixelcnn.callbacks import CheckpointOnSignal, ConfigInCheckpoint, StopOnNonFiniteLoss
from pixelcnn.checkpoints.last import LastCheckpoint
from pixelcnn.data.base import ImageDataModule
from pixelcnn.data.validation import check_model_fits_data
from pixelcnn.errors import RunInterrupted
from pixelcnn.figures import draw_figures
from pixelcnn.logging.media import log_figures
from pixelcnn.logging.run_info import run_info
from pixelcnn.nn.checks import check_kernels_fit
from pixelcnn.tasks.distributed import check_sweep_strategy, rank_report
from pixelcnn.tasks.resume import check_resumable, finished_note, resolve_ckpt_path
from pixelcnn.tasks.run_folder import check_fresh_folder, write_metrics
from pixelcnn.tasks.runtime import instantiate_group, log, print_config_tree, resolved, trainer_from_config
from pixelcnn.tasks.values import check_train_values


def ordered(callbacks: list[Callback]) -> list[Callback]:
    """Weight averaging last (Lightning puts checkpointing after it): it swaps the averaged weights in before
    validation and back after it, so every callback that looks at the model during validation sees the average.
    ``LastCheckpoint`` after the other checkpoint callbacks (Lightning keeps their order), so the ``last.ckpt`` it
    writes holds the best-checkpoint ranking of the same validation."""
    return sorted(callbacks, key=lambda c: (isinstance(c, WeightAveraging), isinstance(c, LastCheckpoint)))


def train(cfg: DictConfig) -> dict[str, Any]:
    """Fit the configured model; test the best checkpoint; write ``metrics.json`` in the run folder.

    Returns the final metrics (``val/bpd``, ``test/bpd``, ``best_ckpt``, ...).
    """
    output_dir = Path(cfg.paths.output_dir)
    check_train_values(cfg)
    ckpt_path = resolve_ckpt_path(cfg.get("ckpt_path"), output_dir) if cfg.get("train", True) else None
    check_fresh_folder(output_dir, ckpt_path, cfg.get("ckpt_path"))  # before this run writes anything there
    if cfg.get("print_config", True):
        print_config_tree(cfg, output_dir / "config_tree.log", first=("data", "model", "trainer"))
    pl.seed_everything(cfg.seed, workers=True)

    check_kernels_fit_data(cfg)
    datamodule: ImageDataModule = hydra.utils.instantiate(cfg.data)
    datamodule.check_available()
    model: pl.LightningModule = hydra.utils.instantiate(cfg.model, _convert_="all")
    check_model_fits_data(
        model,
        datamodule,
        "leave model.image_shape and model.num_levels to follow the data (data.image_shape, data.num_levels)",
    )
    if ckpt_path is not None:
        note = finished_note(
            check_resumable(ckpt_path, model), cfg.trainer.get("max_epochs"), cfg.trainer.get("max_steps")
        )
        if note is not None:
            return finished_run(ckpt_path, note)
        log.info(f"resuming from {ckpt_path}")
    on_signal = CheckpointOnSignal()
    callbacks = ordered(
        [*instantiate_group(cfg.get("callbacks")), ConfigInCheckpoint(resolved(cfg)), StopOnNonFiniteLoss(), on_signal]
    )
    loggers = instantiate_group(cfg.get("logger"))
    if not loggers:  # Lightning's LearningRateMonitor refuses a trainer without loggers (~logger)
        callbacks = [callback for callback in callbacks if not isinstance(callback, LearningRateMonitor)]
    trainer = trainer_from_config(cfg, callbacks=callbacks, logger=loggers or False)
    check_sweep_strategy(trainer, cfg.trainer.get("strategy"))
    for logger in loggers:
        logger.log_hyperparams({**resolved(cfg), **run_info(model, cfg.paths.root_dir)})

    if cfg.get("train", True):
        try:
            trainer.fit(model, datamodule=datamodule, ckpt_path=ckpt_path, weights_only=True)
        except SIGTERMException as error:  # Lightning's SystemExit for SIGTERM: exit status 0 unless turned into this
            raise RunInterrupted(interrupted_message(on_signal, trainer)) from error
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

    if trainer.is_global_zero and cfg.get("figures"):
        figures = final_figures(cfg, model, datamodule, trainer, loggers, output_dir / "figures")
        metrics.update({f"figures/{name}": str(path) for name, path in figures.items()})

    if trainer.is_global_zero:
        write_metrics(output_dir, metrics)
        shown = [k for k in ("val/bpd", "test/bpd") if k in metrics]
        shown = shown or sorted(k for k in metrics if k.startswith(("val/", "test/")))  # models without bits/dim
        summary = ", ".join(f"{k} {metrics[k]:.4f}" for k in shown)
        print(f"final: {summary}  (run folder {output_dir}){no_better_than_uniform(metrics, datamodule.num_levels)}")
    return metrics


def check_kernels_fit_data(cfg: DictConfig) -> None:
    """A backbone kernel larger than the data's images is one line naming its key (before the model is built)."""
    backbone = cfg.model.get("backbone")
    if isinstance(backbone, DictConfig):
        kernels = {key: int(backbone[key]) for key in ("kernel_size", "first_kernel_size") if backbone.get(key)}
        check_kernels_fit(list(cfg.data.image_shape)[1:], kernels)


def no_better_than_uniform(metrics: dict[str, Any], num_levels: int) -> str:
    """A warning for the final line when validation bits/dim ends above ``log2 K``, what a model that gives every
    level the same probability scores without training (a NaN counts as above); else ''."""
    value, uniform = metrics.get("val/bpd"), math.log2(num_levels)
    if value is None or float(value) <= uniform:
        return ""
    return (
        f"; WARNING: val/bpd {float(value):.4f} is above {uniform:.4f} = log2 {num_levels}, the uniform model's: this "
        "run learned nothing (too high a model.optimizer.lr? too few steps?)"
    )


def finished_run(ckpt_path: Path, note: str) -> dict[str, Any]:
    """Resuming a finished run trains nothing: say so, and return the metrics that run wrote (if any)."""
    print(f"nothing to resume: {ckpt_path} is a finished run ({note}); raise the limit to train on")
    written = ckpt_path.parent.parent / "metrics.json"
    return json.loads(written.read_text()) if written.is_file() else {}


def interrupted_message(on_signal: CheckpointOnSignal, trainer: pl.Trainer) -> str:
    where = f"saved {on_signal.saved}" if on_signal.saved else "no checkpoint was saved"
    return (
        f"stopped by {on_signal.signal_name or 'SIGTERM'} at global step {trainer.global_step}; {where}; resume "
        "with the same hydra.run.dir and ckpt_path=last"
    )


def final_figures(
    cfg: DictConfig,
    model: pl.LightningModule,
    datamodule: ImageDataModule,
    trainer: pl.Trainer,
    loggers: list[Logger],
    folder: Path,
) -> dict[str, Path]:
    """The ``figures`` group's pictures of the tested weights: into ``folder``, and to every logger."""
    model.to(trainer.strategy.root_device)
    sampling = OmegaConf.to_container(cfg.get("sampling") or OmegaConf.create({}), resolve=True)
    figures = draw_figures(instantiate_group(cfg.figures), model, datamodule, folder, sampling)
    log_figures(loggers, figures, step=trainer.global_step)
    for logger in loggers:
        logger.finalize("success")
    return figures


def optimized_value(cfg: DictConfig, metrics: dict[str, Any]) -> float | None:
    """The value a Hydra sweeper minimises (``optimized_metric``); None when the run did not produce a finite one
    (Optuna then marks the trial failed; it refuses NaN)."""
    name = cfg.get("optimized_metric")
    if not name:
        return None
    value = metrics.get(name)
    return float(value) if value is not None and math.isfinite(float(value)) else None
