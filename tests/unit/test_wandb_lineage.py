"""Default W&B run names and groups, and how an eval run finds the model artifact its checkpoint came from."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import open_dict, read_write

from pixelcnn.logging.lineage import eval_run_options, model_artifact, use_model_artifact
from pixelcnn.tasks.resolvers import run_group, run_name


def test_default_name_is_the_task_and_the_overrides_that_change_the_run(make_config) -> None:
    cfg = make_config(
        "model=gated_cond", "model.optimizer.lr=0.01", "~callbacks.rich_progress_bar", "logger=wandb", "seed=1"
    )
    assert run_name("train") == "train model=gated_cond lr=0.01 seed=1"
    assert cfg.logger.wandb.name == "train model=gated_cond lr=0.01 seed=1"
    assert cfg.logger.wandb.job_type == "train"
    assert make_config("logger=wandb", "ckpt_path=x.ckpt", name="eval").logger.wandb.job_type == "eval"


def test_jobs_of_one_multirun_share_a_group_and_a_single_run_has_its_own(make_config, tmp_path) -> None:
    cfg = make_config("logger=wandb", "seed=1")
    assert cfg.paths.output_dir == str(tmp_path / "run")  # the run folder make_config gives
    assert cfg.logger.wandb.group == run_group("train") == "train-run"
    hydra_cfg = HydraConfig.get()
    with read_write(hydra_cfg), open_dict(hydra_cfg):
        hydra_cfg.mode = RunMode.MULTIRUN
        hydra_cfg.sweep.dir = "outputs/train/multiruns/2026-01-01_00-00-00"
    assert cfg.logger.wandb.group == "train-2026-01-01_00-00-00"


def test_eval_run_takes_the_training_runs_name_group_and_tags() -> None:
    trained = {"task_name": "cifar10", "tags": ["cifar10", "paper"], "logger": {"wandb": {"name": "n", "group": "g"}}}
    assert eval_run_options(trained, ["eval"]) == {"name": "eval n", "group": "g", "tags": ["cifar10", "paper", "eval"]}
    assert eval_run_options({"task_name": "train"}, ["eval"]) == {"name": "eval train", "group": None, "tags": ["eval"]}


@pytest.mark.parametrize(
    "wandb",
    [
        {},  # trained with the CSV logger only
        {"group": None},  # trained before single runs had a group
        {"group": "${run_group:train}"},  # a checkpoint whose config was stored unresolved
    ],
)
def test_eval_of_a_single_run_joins_the_group_its_run_folder_gives(wandb) -> None:
    trained = {"task_name": "train", "paths": {"output_dir": "/x/outputs/train/runs/2026-01-01_00-00-00"}}
    trained["logger"] = {"wandb": wandb}
    assert eval_run_options(trained, ["eval"])["group"] == "train-2026-01-01_00-00-00"


def training_run(tmp_path: Path, log_model: bool) -> tuple[Path, dict]:
    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    (run / "wandb" / "offline-run-20260101_000000-abc123").mkdir(parents=True)
    best = run / "checkpoints" / "epoch_001.ckpt"
    best.write_bytes(b"x")
    (run / "checkpoints" / "last.ckpt").write_bytes(b"x")
    (run / "metrics.json").write_text(json.dumps({"best_ckpt": str(best)}))
    return best, {"logger": {"wandb": {"log_model": log_model}}}


def test_the_best_checkpoint_of_a_run_that_logged_models_is_its_artifact(tmp_path: Path) -> None:
    best, config = training_run(tmp_path, log_model=True)
    assert model_artifact(best, config) == "model-abc123:best"
    assert model_artifact(best.parent / "last.ckpt", config) is None  # never logged
    assert model_artifact(best, training_run(tmp_path / "other", log_model=False)[1]) is None


def test_a_downloaded_artifact_names_itself(tmp_path: Path) -> None:
    folder = tmp_path / "artifacts" / "model-xyz789:v3"
    folder.mkdir(parents=True)
    assert model_artifact(folder / "model.ckpt", {}) == "model-xyz789:v3"


class FakeRun:
    def __init__(self) -> None:
        self.used: list[tuple[str, str]] = []

    def use_artifact(self, name: str, type: str) -> None:  # noqa: A002 - W&B's keyword
        self.used.append((name, type))


def test_online_eval_runs_use_the_artifact_and_offline_ones_only_name_it() -> None:
    run = FakeRun()
    use_model_artifact(run, "model-abc123:best", offline=True)
    assert run.used == []
    use_model_artifact(run, "model-abc123:best", offline=False)
    assert run.used == [("model-abc123:best", "model")]
