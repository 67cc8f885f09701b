"""The README runner shrinks a line only with sizes from its one documented list (``readme_runner.SIZES``), never
with a key the line sets itself; and the README's lines work as written where the runner could not hide it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hydra.core.global_hydra import GlobalHydra
from hydra.utils import instantiate
from omegaconf import OmegaConf

from tests.helpers import REPO, compose_config
from tests.helpers.readme import generic_commands
from tests.helpers.readme_runner import PLACES, SIZES, Places, fill, jobs, only_sizes, shrink, split

TRAIN_AND_EVAL = [c for c in generic_commands() if split(c)[0] in {"train", "eval"}]


@pytest.fixture
def places(tmp_path: Path) -> Places:
    """Stand-ins for the runner's real run folders: composing needs their names only."""
    run = tmp_path / "runs" / "date1"
    (run / "checkpoints").mkdir(parents=True)
    (run / "checkpoints" / "epoch_000.ckpt").touch()
    return Places(run, tmp_path / "runs" / "date2", tmp_path / "multirun", tmp_path / "new")


@pytest.mark.parametrize("command", TRAIN_AND_EVAL, ids=[c[:90] for c in TRAIN_AND_EVAL])
def test_the_runner_adds_only_sizes_from_its_list(command: str, places: Places, tmp_path: Path) -> None:
    name, words = split(fill(command, places))
    job = jobs(words)[0]
    try:
        cfg = compose_config(name, job, tmp_path / "run")
    finally:
        GlobalHydra.instance().clear()
    added = shrink(cfg, job, tmp_path / "data")
    assert not only_sizes(added, job), f"not a size from readme_runner.SIZES, or a key the line sets: {added}"
    if OmegaConf.select(cfg, "model.backbone._target_") and not any(w.startswith("model/backbone=") for w in job):
        assert "model/backbone=small" in added  # every PixelCNN line trains the small backbone


def test_an_option_outside_the_list_or_a_key_the_line_sets_is_refused() -> None:
    given = ["trainer.val_check_interval=50"]
    assert only_sizes(["trainer.limit_train_batches=50"], given) == ["trainer.limit_train_batches=50"]
    assert only_sizes(["trainer.val_check_interval=1"], given) == ["trainer.val_check_interval=1"]
    assert only_sizes(["trainer.max_epochs=1"], ["trainer.max_epochs=3"]) == ["trainer.max_epochs=1"]
    assert only_sizes(["trainer.max_epochs=1", "model/backbone=small", "paths.data_dir=/x"], given) == []


def test_docs_describe_every_size_the_runner_may_add() -> None:
    guide = (REPO / "docs" / "development.md").read_text()
    missing = [o for o in (*SIZES, *PLACES) if f"`{o}`" not in guide]
    assert not missing, f"docs/development.md does not list: {missing}"


@pytest.mark.parametrize("command", [c for c in TRAIN_AND_EVAL if "trainer.val_check_interval=" in c])
def test_val_check_interval_fits_an_epoch_as_written(command: str, places: Places, tmp_path: Path) -> None:
    """Lightning refuses an interval longer than an epoch; the runner's batch limit would hide it, so check it here."""
    name, words = split(fill(command, places))
    try:
        cfg = compose_config(name, words, tmp_path / "run")
    finally:
        GlobalHydra.instance().clear()
    interval = cfg.trainer.val_check_interval
    if isinstance(interval, float):
        assert 0 < interval <= 1, command
        return
    data = instantiate(cfg.data)
    data.setup("fit")
    batches = len(data.train_dataloader())
    assert re.fullmatch(r"\d+", str(interval)) and interval <= batches, f"{interval} > {batches} batches per epoch"


def test_the_headline_test_shrinks_its_command_with_documented_sizes_only() -> None:
    from tests.integration.test_headline_command import SIZES_ONLY

    assert not [o for o in SIZES_ONLY if o not in SIZES], "add it to readme_runner.SIZES and docs/development.md"
