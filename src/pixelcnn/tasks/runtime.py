"""What every task needs around the work itself: the printed config, instantiated groups, the trainer."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import hydra
from omegaconf import DictConfig, OmegaConf

if TYPE_CHECKING:  # Lightning is imported lazily: a config error is reported without its 10 s import
    import pytorch_lightning as pl

log = logging.getLogger("pixelcnn")


def print_config_tree(cfg: DictConfig, save_to: Path | None = None, first: Sequence[str] = ()) -> None:
    """Print the chosen config groups and the command line's overrides (rank 0 only); the full Rich tree of the
    composed config, one branch per top-level key, goes to ``save_to`` (the run folder's ``config_tree.log``)."""
    if not is_rank_zero():
        return
    if save_to is not None:
        save_to.parent.mkdir(parents=True, exist_ok=True)
        with open(save_to, "w") as file:
            write_config_tree(cfg, file, first)
    print(config_summary(save_to))


def write_config_tree(cfg: DictConfig, file: TextIO, first: Sequence[str] = ()) -> None:
    import rich
    import rich.syntax
    import rich.tree

    tree = rich.tree.Tree("CONFIG", style="dim", guide_style="dim")
    keys = [k for k in first if k in cfg] + [k for k in cfg if k not in first]
    for key in keys:
        value = cfg[key]
        text = OmegaConf.to_yaml(value, resolve=True) if isinstance(value, DictConfig) else str(value)
        tree.add(key, style="dim", guide_style="dim").add(rich.syntax.Syntax(text, "yaml"))
    rich.print(tree, file=file)


def config_summary(full_tree: Path | None = None) -> str:
    """``config: data=digits model=gated_cond model/backbone=default ...`` (the groups Hydra chose), the overrides
    of the command line and where the full tree is."""
    from hydra.core.hydra_config import HydraConfig

    lines = []
    if HydraConfig.initialized():
        hydra_cfg = HydraConfig.get()
        picked = hydra_cfg.runtime.choices
        choices = [f"{group.split('@')[0]}={option}" for group, option in picked.items() if shown(group, option)]
        lines.append("config: " + " ".join(sorted(choices)) + backbone_reason(picked, hydra_cfg.overrides.task))
        lines.append("overrides: " + (" ".join(hydra_cfg.overrides.task) or "none"))
    if full_tree is not None:
        lines.append(f"full config: {full_tree}")
    return "\n".join(lines)


def shown(group: str, option: Any) -> bool:
    """Whether the summary names this group's choice: not Hydra's, paths or the names a data config fills in for
    the model (data/backbone, data/head, data/scheduler: the model's own groups show them)."""
    return option is not None and not group.startswith(("hydra", "data/")) and group != "paths"


def backbone_reason(choices: Any, overrides: Sequence[str]) -> str:
    """``; backbone=paper (data=imagenet64)``: which backbone the run got and what chose it (the command line, an
    experiment, the data set, or the model's default); empty for models without one."""
    backbone = choices.get("model/backbone")
    if backbone is None:
        return ""
    if any(o.lstrip("+").startswith("model/backbone=") for o in overrides):
        why = "command line"
    elif backbone == choices.get("data/backbone", "default"):
        why = f"data={choices.get('data')}"
    elif choices.get("experiment") is not None:
        why = f"experiment={choices.get('experiment')}"
    else:
        why = "default"
    return f"; backbone={backbone} ({why})"


def is_rank_zero() -> bool:
    """False in the other processes of a DDP / multi-node run (Lightning's and SLURM's rank variables)."""
    return all(os.environ.get(name, "0") == "0" for name in ("RANK", "LOCAL_RANK", "NODE_RANK", "SLURM_PROCID"))


def instantiate_group(group: DictConfig | None) -> list[Any]:
    """Instantiate every entry with a ``_target_`` of a config group (callbacks, loggers)."""
    if not group:
        return []
    items = [item for item in group.values() if isinstance(item, DictConfig) and "_target_" in item]
    return [hydra.utils.instantiate(item) for item in items]


def resolved(cfg: DictConfig) -> dict[str, Any]:
    """The config as a plain, resolved dict (for checkpoints and loggers)."""
    return OmegaConf.to_container(cfg, resolve=True)  # type: ignore[return-value]


def trainer_from_config(cfg: DictConfig, **kwargs: Any) -> pl.Trainer:
    """``cfg.trainer`` built for this machine: ``precision: auto`` becomes what the device supports and
    ``threads`` sets torch's CPU threads (``pixelcnn.tasks.hardware``); ``kwargs`` go to the Trainer."""
    from pixelcnn.tasks.hardware import machine_options

    options = machine_options(OmegaConf.to_container(cfg.trainer, resolve=True))  # type: ignore[arg-type]
    return hydra.utils.instantiate(options, **kwargs)
