"""Shared fixtures; the helpers themselves live in ``tests/helpers``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from hydra.core.global_hydra import GlobalHydra
from omegaconf import DictConfig

from pixelcnn.tasks.quiet import quiet_noise
from pixelcnn.tasks.resolvers import register_resolvers
from tests.helpers import compose_config

register_resolvers()  # as the entry points do before Hydra composes a config (the tests compose in-process too)
quiet_noise()


@pytest.fixture(autouse=True)
def _torch_threads() -> None:
    torch.set_num_threads(1)  # tiny models: more threads only wait for each other on a busy 2-core machine


@pytest.fixture
def make_config(tmp_path: Path) -> Callable[..., DictConfig]:
    """make_config(*overrides, name="train") -> a composed config writing into tmp_path/run."""

    def make(*overrides: str, name: str = "train", output_dir: Path | None = None) -> DictConfig:
        return compose_config(name, overrides, output_dir or tmp_path / "run")

    yield make
    GlobalHydra.instance().clear()
