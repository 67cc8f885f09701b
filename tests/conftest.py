"""Shared fixtures: tiny models, Hydra configs composed in-process, and the CLI run as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
import torch
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, open_dict

REPO = Path(__file__).resolve().parents[1]
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
    "model.backbone.num_layers=3",
    "model.backbone.hidden_channels=16",
    "model.backbone.skip_channels=16",
    "model.backbone.output_hidden=32",
    "model.backbone.kernel_size=3",
    "model.backbone.first_kernel_size=3",
    "trainer.max_epochs=1",
    "+trainer.limit_train_batches=3",
    "+trainer.limit_val_batches=2",
    "callbacks.sample_grid.num_samples=4",
    "~callbacks.rich_progress_bar",
    "~callbacks.rich_model_summary",
    "print_config=false",
]


@pytest.fixture(autouse=True)
def _torch_threads() -> None:
    torch.set_num_threads(1)  # tiny models: more threads only wait for each other on a busy 2-core machine


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


@pytest.fixture
def make_config(tmp_path: Path) -> Callable[..., DictConfig]:
    """make_config(*overrides, name="train") -> a composed config writing into tmp_path/run."""

    def make(*overrides: str, name: str = "train", output_dir: Path | None = None) -> DictConfig:
        return compose_config(name, overrides, output_dir or tmp_path / "run")

    yield make
    GlobalHydra.instance().clear()


def run_cli(script: str, *overrides: str, cwd: Path = REPO, timeout: int = 600) -> subprocess.CompletedProcess:
    """Run ``python <script> <overrides>`` from the repo root exactly as a user would; never raises on failure."""
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "HYDRA_FULL_ERROR": "0", "WANDB_MODE": "offline"}
    return subprocess.run(
        [sys.executable, str(REPO / script), *overrides],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
