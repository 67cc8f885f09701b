"""train.py -> eval.py -> load_model -> sample, through the command line as a user runs it."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import torch

from pixelcnn import load_model
from tests.helpers import FAST_TRAIN, run_cli


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    run_dir = tmp_path_factory.mktemp("cli") / "train_run"
    result = run_cli("train.py", *FAST_TRAIN, "model=gated_cond", f"hydra.run.dir={run_dir}")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "final: val/bpd" in result.stdout
    return run_dir


def test_train_writes_everything_into_the_run_folder(trained_run: Path) -> None:
    assert (trained_run / "checkpoints" / "last.ckpt").is_file()
    best = json.loads((trained_run / "metrics.json").read_text())["best_ckpt"]
    assert Path(best).is_file() and Path(best).parent == trained_run / "checkpoints"
    assert list((trained_run / "samples").glob("epoch_*.png"))
    rows = list(csv.DictReader(open(trained_run / "csv" / "metrics.csv")))
    assert any(row.get("val/bpd") for row in rows) and any(row.get("test/bpd") for row in rows)


def test_eval_reproduces_the_test_bpd_logged_at_training(trained_run: Path, tmp_path: Path) -> None:
    metrics = json.loads((trained_run / "metrics.json").read_text())
    result = run_cli("eval.py", f"ckpt_path={metrics['best_ckpt']}", f"hydra.run.dir={tmp_path}", "print_config=false")
    assert result.returncode == 0, result.stderr[-3000:]
    evaluated = json.loads((tmp_path / "metrics.json").read_text())
    assert evaluated["test/bpd"] == pytest.approx(metrics["test/bpd"], abs=1e-6)
    assert evaluated["test/num_images"] == 297
    assert (tmp_path / "samples.png").is_file()


def test_loaded_checkpoint_samples_deterministically(trained_run: Path) -> None:
    model = load_model(trained_run / "checkpoints" / "last.ckpt")
    assert not model.training and model.num_classes == 10 and model.image_shape == (1, 8, 8)
    labels = torch.tensor([0, 3, 7])
    first = model.sample(3, cond=labels, seed=5)
    assert first.shape == (3, 1, 8, 8) and first.dtype == torch.long
    assert 0 <= int(first.min()) and int(first.max()) < model.num_levels
    assert torch.equal(first, model.sample(3, cond=labels, seed=5))
    assert not torch.equal(first, model.sample(3, cond=labels, seed=6))
    assert model.nll(first, labels).shape == (3,)
