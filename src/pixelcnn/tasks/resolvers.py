"""OmegaConf resolvers the configs use; ``register_resolvers`` adds them (the entry points call it before Hydra
composes a config)."""

from __future__ import annotations

import itertools
import netrc
import os
from pathlib import Path

from omegaconf import OmegaConf

from pixelcnn.errors import PixelCNNError

# overrides that do not make a run different from another (where it writes, what it logs, how it prints)
CREATED_DIRS: set[str] = set()  # absolute paths of the folders `unique_dir` created in this process

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


def run_group(task_name: str) -> str | None:
    """The W&B group: ``<task>-<sweep folder>`` for every job of one Hydra multirun, ``<task>-<run folder>`` for a
    single run, so that an eval of its checkpoint can join it (``pixelcnn.logging.lineage.eval_group``)."""
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    from pixelcnn.logging.lineage import group_name

    if not HydraConfig.initialized():
        return None
    hydra_cfg = HydraConfig.get()
    key = "sweep.dir" if hydra_cfg.mode == RunMode.MULTIRUN else "runtime.output_dir"
    folder = OmegaConf.select(hydra_cfg, key)
    return group_name(task_name, folder) if folder else None


def unique_dir(path: str) -> str:
    """``path``, or ``path_1``, ``path_2``, ...: the first of them that did not exist, created here.

    ``mkdir`` either creates a folder or fails because it exists, in one step, so two processes (runs started in
    the same second) never get the same folder. Cached per config (``use_cache``), like Hydra's ``now``.
    """
    base = Path(path)
    for number in itertools.count():
        candidate = base if number == 0 else base.with_name(f"{base.name}_{number}")
        try:
            base.parent.mkdir(parents=True, exist_ok=True)
            candidate.mkdir()
        except FileExistsError:
            if candidate.is_dir():
                continue
            raise unwritable(candidate, "a file is in the way") from None
        except OSError as error:
            raise unwritable(candidate, error.strerror) from error
        CREATED_DIRS.add(os.path.abspath(candidate))
        return str(candidate)
    raise AssertionError("unreachable")


def unwritable(folder: Path, why: str | None) -> PixelCNNError:
    return PixelCNNError(f"cannot create the run folder {folder}: {why}; pass a writable one with hydra.run.dir=...")


def register_resolvers() -> None:
    """Add ``wandb_offline_default``, ``run_name``, ``run_group`` and ``unique_dir`` (idempotent)."""
    resolvers = {"wandb_offline_default": wandb_offline_default, "run_name": run_name, "run_group": run_group}
    for name, resolver in resolvers.items():
        if not OmegaConf.has_resolver(name):
            OmegaConf.register_new_resolver(name, resolver)
    if not OmegaConf.has_resolver("unique_dir"):
        OmegaConf.register_new_resolver("unique_dir", unique_dir, use_cache=True)  # one folder per run, like `now`
