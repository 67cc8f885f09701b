"""Tiny models and Hydra configs composed in-process, as the tests share them."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, open_dict

REPO = Path(__file__).resolve().parents[2]
CONF = REPO / "conf"

# A backbone small enough for CPU tests in seconds.
TINY_BACKBONE = {
    "num_layers": 3,
    "hidden_channels": 12,
    "kernel_size": 3,
    "first_kernel_size": 3,
    "skip_channels": 12,
    "output_hidden": 16,
    "dropout": 0.0,
}

# Overrides that make `train.py` finish in seconds on digits.
FAST_TRAIN = [
    "model/backbone=small",
    "trainer.max_epochs=1",
    "trainer.limit_train_batches=3",
    "trainer.limit_val_batches=2",
    "callbacks.sample_grid.num_samples=4",
    "~callbacks.rich_progress_bar",
    "~callbacks.rich_model_summary",
    "print_config=false",
]


def compose_config(config_name: str, overrides: Sequence[str], output_dir: Path) -> DictConfig:
    """Compose ``conf/<config_name>.yaml`` as Hydra would, with ``paths.output_dir`` set to ``output_dir``."""
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        cfg = compose(config_name, overrides=list(overrides), return_hydra_config=True)
    with open_dict(cfg):
        cfg.hydra.runtime.output_dir = str(output_dir)
        cfg.hydra.runtime.cwd = str(REPO)
        cfg.hydra.job.num = 0
    HydraConfig.instance().set_config(cfg)
    with open_dict(cfg):
        del cfg["hydra"]
    return cfg
