"""A failed sweep job is recorded in its folder and the sweep goes on; the command exits non-zero at the end."""

from __future__ import annotations

import json
from pathlib import Path

import optuna
import pytest
import sqlalchemy

from tests.helpers import FAST_TRAIN, run_cli

QUICK = [*FAST_TRAIN, "~callbacks.sample_grid", "figures=none", "test=false", "logger=csv"]


def test_a_failed_job_does_not_stop_the_sweep(tmp_path: Path) -> None:
    overrides = QUICK
    result = run_cli("train.py", "-m", "model.optimizer.lr=inf,0.001", *overrides, f"hydra.sweep.dir={tmp_path}")
    assert result.returncode == 1, result.stderr[-3000:]
    failed, finished = tmp_path / "0", tmp_path / "1"
    reason = (failed / "failed.txt").read_text()
    assert "model.optimizer.lr=inf: must be a finite positive number" in reason, reason  # refused before training
    assert not (failed / "metrics.json").exists()
    assert not (finished / "failed.txt").exists()
    assert "val/bpd" in json.loads((finished / "metrics.json").read_text())  # the second job ran after the failure
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 2, result.stderr[-3000:]
    assert (
        errors[0].startswith("error: sweep job 0 (model.optimizer.lr=inf")
        and "failed: model.optimizer.lr=inf: must" in errors[0]
    )
    assert errors[1] == f"error: 1 sweep job(s) failed; failed.txt in {failed} says why"


@pytest.mark.skipif(
    int(sqlalchemy.__version__.split(".")[0]) >= 2,
    reason="optuna 2.10's RDB storage fails on SQLAlchemy 2 (requirements.txt pins sqlalchemy<2)",
)
def test_optuna_marks_a_failed_trial_failed_and_goes_on(tmp_path: Path) -> None:
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    space = ["model.optimizer.lr=choice(0.001,inf)", "model.backbone.hidden_channels=16"]  # fixed: out of the search
    space += ["model.backbone.dropout=0.0", "data.batch_size=32"]  # the sampler (seed 0) tries inf first, then 0.001
    sweep = ["hparams_search=optuna", "hydra.sweeper.n_trials=2", "hydra.sweeper.n_jobs=1"]
    result = run_cli(
        "train.py", *sweep, *space, *QUICK, f"hydra.sweeper.storage={storage}", f"hydra.sweep.dir={tmp_path}"
    )
    assert result.returncode == 1, result.stderr[-3000:]
    trials = optuna.load_study(study_name="pixelcnn", storage=storage).trials
    states = [(trial.state, trial.params["model.optimizer.lr"]) for trial in trials]
    assert states == [(optuna.trial.TrialState.FAIL, float("inf")), (optuna.trial.TrialState.COMPLETE, 0.001)]
    assert trials[1].value == json.loads((tmp_path / "1" / "metrics.json").read_text())["val/bpd"]
    assert "model.optimizer.lr=inf: must be a finite positive number" in (tmp_path / "0" / "failed.txt").read_text()
    assert result.stderr.splitlines()[-1] == f"error: 1 sweep job(s) failed; failed.txt in {tmp_path / '0'} says why"


def test_an_optuna_sweep_whose_every_trial_fails_ends_with_one_line(tmp_path: Path) -> None:
    sweep = ["hparams_search=optuna", "hydra.sweeper.n_trials=1", "model.optimizer.lr=inf"]
    fixed = ["model.backbone.hidden_channels=16", "model.backbone.dropout=0.0", "data.batch_size=32"]
    result = run_cli("train.py", *sweep, *fixed, *QUICK, f"hydra.sweep.dir={tmp_path}")
    assert result.returncode == 1, result.stderr[-3000:]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]  # Optuna's "no trials are completed yet"
    assert result.stderr.splitlines()[-1] == f"error: 1 sweep job(s) failed; failed.txt in {tmp_path / '0'} says why"
