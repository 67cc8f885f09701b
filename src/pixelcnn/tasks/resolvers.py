"""OmegaConf resolvers the configs use; registered when ``pixelcnn.tasks`` is imported."""

from __future__ import annotations

import netrc
import os
from pathlib import Path

from omegaconf import OmegaConf

# overrides that do not make a run different from another (where it writes, what it logs, how it prints)
NOT_IN_NAME = ("hydra", "logger", "paths", "print_config", "tags", "experiment", "hparams_search", "ckpt_path")


def wandb_offline_default() -> bool:
    """True unless W&B can find an API key (``WANDB_API_KEY`` or an api.wandb.ai netrc entry)."""
    if os.environ.get("WANDB_MODE") in ("offline", "disabled"):
        return True
    if os.environ.get("WANDB_API_KEY"):
        return False
    try:
        return netrc.netrc().authenticators("api.wandb.ai") is None
    except (FileNotFoundError, netrc.NetrcParseError, OSError):
        return True


def run_name(task_name: str) -> str:
    """``task_name`` and the command line's overrides that change the run, each key shortened to its last part:
    ``train model=gated_cond backbone=small lr=0.001 seed=1``."""
    from hydra.core.hydra_config import HydraConfig

    if not HydraConfig.initialized():
        return task_name
    overrides = HydraConfig.get().overrides.task
    kept = [o for o in overrides if not o.startswith("~") and override_key(o) not in NOT_IN_NAME]  # ~: deletions
    return " ".join([task_name, *(short(o) for o in kept)])[:128]


def override_key(override: str) -> str:
    """``+model.backbone.num_layers=3`` -> ``model``; ``model/backbone=small`` -> ``model``."""
    return override.lstrip("+~").split("=")[0].split(".")[0].split("/")[0]


def short(override: str) -> str:
    """``model.optimizer.lr=0.001`` -> ``lr=0.001``; ``model/backbone=small`` -> ``backbone=small``."""
    key, _, value = override.lstrip("+").partition("=")
    return f"{key.split('.')[-1].split('/')[-1]}={value}" if value else key


def sweep_group(task_name: str) -> str | None:
    """The group every job of one Hydra multirun shares (``<task>-<sweep folder>``); None for a single run."""
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    if not HydraConfig.initialized() or HydraConfig.get().mode != RunMode.MULTIRUN:
        return None
    return f"{task_name}-{Path(HydraConfig.get().sweep.dir).name}"


def register_resolvers() -> None:
    resolvers = {"wandb_offline_default": wandb_offline_default, "run_name": run_name, "sweep_group": sweep_group}
    for name, resolver in resolvers.items():
        if not OmegaConf.has_resolver(name):
            OmegaConf.register_new_resolver(name, resolver)
