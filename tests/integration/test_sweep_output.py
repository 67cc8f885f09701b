"""Sweeps as a researcher runs them: a multirun's W&B runs share one group (read back from the offline runs), and
an Optuna sweep with a database prints no alembic migration lines (silenced by optuna itself)."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

import pytest

from tests.helpers import FAST_TRAIN, run_cli
from tests.helpers.wandb_records import read_offline_run

# one quick job: no sample grid, no figures, one validation batch, no test pass
TINY_JOB = [*FAST_TRAIN, "trainer.limit_val_batches=1", "~callbacks.sample_grid", "figures=none", "test=false"]


@pytest.fixture(autouse=True)
def one_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMP_NUM_THREADS", "1")


def test_multirun_jobs_share_one_wandb_group(tmp_path: Path) -> None:
    readme = ["model.optimizer.lr=0.0003,0.001", "seed=0,1", "logger=wandb"]  # the README's grid
    result = run_cli("train.py", "-m", *readme, *TINY_JOB, f"hydra.sweep.dir={tmp_path / 'sweep'}")
    assert result.returncode == 0, result.stderr[-3000:]
    runs = []
    for job in "0123":
        (folder,) = (tmp_path / "sweep" / job / "wandb").glob("offline-run-*")
        runs.append(read_offline_run(folder))
    assert runs[0].group and {run.group for run in runs} == {"train-sweep"}  # <task>-<sweep folder>
    assert len({run.name for run in runs}) == 4  # named by the overrides that differ
    assert "lr=0.0003" in runs[1].name and "seed=1" in runs[1].name and "lr=0.001" in runs[2].name
    assert [run.job_type for run in runs] == ["train"] * 4


def test_optuna_with_a_database_prints_no_alembic_lines(tmp_path: Path) -> None:
    installed = version("sqlalchemy")  # optuna 2.10 cannot stamp a new database's schema under SQLAlchemy 2
    assert int(installed.split(".")[0]) < 2, f"SQLAlchemy {installed}: pip install -r requirements.txt (1.4)"
    storage = f"sqlite:///{tmp_path / 's.db'}"
    result = run_cli(
        "train.py",
        "hparams_search=optuna",
        "hydra.sweeper.n_trials=1",
        f"hydra.sweeper.storage={storage}",
        *TINY_JOB,
        f"hydra.sweep.dir={tmp_path / 'sweep'}",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "s.db").is_file() and (tmp_path / "sweep" / "optimization_results.yaml").is_file()
    # alembic's INFO lines as Hydra's log format prints them: "[<time>][HYDRA] Context impl SQLiteImpl." (no
    # "alembic" in them); optuna's RDBStorage sets the alembic logger to WARNING before its first migration context
    noise = ("Context impl", "Will assume", "Running stamp_revision", "alembic")
    lines = (result.stdout + result.stderr).splitlines()
    assert not [line for line in lines if any(word in line for word in noise)]
