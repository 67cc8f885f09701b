"""The Trainer's everyday options are plain overrides (no ``+``), and every run picks the accelerator itself."""

from __future__ import annotations

import pytest

from pixelcnn.tasks.runtime import trainer_from_config
from tests.helpers import CONF

EVERYDAY = {
    "max_steps": 5,
    "limit_train_batches": 3,
    "limit_val_batches": 0.5,
    "limit_test_batches": 2,
    "val_check_interval": 2,
    "accumulate_grad_batches": 4,
}


def test_everyday_trainer_options_need_no_plus_and_reach_the_trainer(make_config) -> None:
    cfg = make_config(*(f"trainer.{key}={value}" for key, value in EVERYDAY.items()))
    trainer = trainer_from_config(cfg, logger=False, callbacks=[], enable_progress_bar=False)
    assert trainer.max_steps == 5
    assert trainer.limit_train_batches == 3 and trainer.limit_val_batches == 0.5 and trainer.limit_test_batches == 2
    assert trainer.val_check_interval == 2
    assert trainer.accumulate_grad_batches == 4


def test_trainer_defaults_are_lightnings(make_config) -> None:
    trainer = trainer_from_config(make_config(), logger=False, callbacks=[], enable_progress_bar=False)
    assert trainer.max_steps == -1 and trainer.max_epochs == 10
    assert trainer.limit_train_batches == 1.0 and trainer.val_check_interval == 1.0
    assert trainer.accumulate_grad_batches == 1


EXPERIMENTS = sorted(p.stem for p in (CONF / "experiment").glob("*.yaml"))


@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_experiments_pick_the_accelerator_automatically(make_config, experiment: str) -> None:
    cfg = make_config(f"experiment={experiment}")
    assert cfg.trainer.accelerator == "auto" and cfg.trainer.devices == 1
    assert make_config(f"experiment={experiment}", "trainer=gpu").trainer.accelerator == "gpu"  # unless asked


def test_an_experiment_builds_a_trainer_on_a_machine_without_gpu(make_config) -> None:
    import torch

    cfg = make_config("experiment=patches_unconditional")
    trainer = trainer_from_config(cfg, logger=False, callbacks=[], enable_progress_bar=False)
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert trainer.strategy.root_device.type == expected
    if expected == "cpu":
        assert trainer.precision == "32-true"
