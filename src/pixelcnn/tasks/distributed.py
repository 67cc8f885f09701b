"""Checks and reports for runs over several processes (DDP on one machine, several nodes, Hydra sweeps)."""

from __future__ import annotations

from typing import Any

import pytorch_lightning as pl
import torch
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode

from pixelcnn.errors import PixelCNNError


def launches_script_copies(trainer: pl.Trainer, strategy: Any) -> bool:
    """True when ``fit`` will start the other ranks by re-running the command line: ``strategy`` (the trainer
    config's) is ``ddp`` with the default ``popen`` start (not ``ddp_spawn`` / ``ddp_fork``), on more than one
    device, with no cluster (SLURM, torchrun) starting the processes."""
    from pytorch_lightning.strategies import DDPStrategy

    if not isinstance(trainer.strategy, DDPStrategy) or trainer.num_devices * trainer.num_nodes < 2:
        return False
    environment = trainer.strategy.cluster_environment
    if environment is not None and environment.creates_processes_externally:
        return False
    name = str(strategy or "")
    return name.startswith("ddp") and not any(start in name for start in ("spawn", "fork"))


def check_sweep_strategy(trainer: pl.Trainer, strategy: Any) -> None:
    """Refuse ``-m`` with a strategy that re-runs the command line: every copy would start the whole sweep."""
    if not HydraConfig.initialized() or HydraConfig.get().mode != RunMode.MULTIRUN:
        return
    if launches_script_copies(trainer, strategy):
        raise PixelCNNError(
            "Hydra multirun (-m) cannot use strategy=ddp on one machine: ddp starts its other processes by re-running "
            "the command line, and each would run the whole sweep; sweep with trainer.strategy=ddp_spawn, or on a "
            "cluster with hydra/launcher=slurm (SLURM starts the processes), or run the jobs one by one"
        )


def weights_fingerprint(model: torch.nn.Module) -> float:
    """Sum of |w| over every parameter in float64: equal on all ranks iff (almost surely) the weights are equal."""
    return float(sum(p.detach().double().abs().sum() for p in model.parameters()))


def rank_report(trainer: pl.Trainer, model: torch.nn.Module) -> str:
    """One line per rank after ``fit``, so a desynchronised multi-node run shows in the logs."""
    return (
        f"rank {trainer.global_rank} of {trainer.world_size} (node {trainer.node_rank}): finished at global step "
        f"{trainer.global_step}, weights fingerprint {weights_fingerprint(model):.17g}"
    )
