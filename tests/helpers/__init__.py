"""Helpers shared by the unit and integration tests."""

from tests.helpers.cli import run_cli
from tests.helpers.config import CONF, FAST_TRAIN, REPO, TINY_BACKBONE, compose_config

__all__ = ["CONF", "FAST_TRAIN", "REPO", "TINY_BACKBONE", "compose_config", "run_cli"]
