"""What every task needs around the work itself: the printed config, instantiated groups, the trainer."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import hydra
from omegaconf import DictConfig, OmegaConf

if TYPE_CHECKING:  # Lightning is imported lazily: a config error is reported without its 10 s import
    import pytorch_lightning as pl

log = logging.getLogger("pixelcnn")


def print_config_tree(cfg: DictConfig, save_to: Path | None = None, first: Sequence[str] = ()) -> None:
    """Rich tree of the composed config, one branch per top-level key; also written to ``save_to``."""
    import rich
    import rich.syntax
    import rich.tree

    tree = rich.tree.Tree("CONFIG", style="dim", guide_style="dim")
    keys = [k for k in first if k in cfg] + [k for k in cfg if k not in first]
    for key in keys:
        value = cfg[key]
        text = OmegaConf.to_yaml(value, resolve=True) if isinstance(value, DictConfig) else str(value)
        tree.add(key, style="dim", guide_style="dim").add(rich.syntax.Syntax(text, "yaml"))
    rich.print(tree)
    if save_to is not None:
        save_to.parent.mkdir(parents=True, exist_ok=True)
        with open(save_to, "w") as file:
            rich.print(tree, file=file)


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
    return hydra.utils.instantiate(cfg.trainer, **kwargs)
