"""Training learns: after a short run on digits the model beats an independent per-pixel histogram."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from pixelcnn import load_model
from pixelcnn.data import DigitsDataModule
from pixelcnn.tasks.train import train
from tests.helpers import FAST_TRAIN, run_cli


def histogram_baseline_bpd(dm: DigitsDataModule) -> float:
    """Test bits/dim of independent per-pixel categoricals fitted (add-one smoothed) on the train split."""
    train_x = np.stack([dm.datasets["train"][i][0].numpy() for i in range(len(dm.datasets["train"]))])
    test_x = np.stack([dm.datasets["test"][i][0].numpy() for i in range(len(dm.datasets["test"]))])
    levels = dm.num_levels
    counts = np.stack([(train_x == k).sum(axis=0) for k in range(levels)]) + 1.0
    log_p = np.log2(counts / counts.sum(axis=0))
    nll = -sum((log_p[k][None] * (test_x == k)).sum() for k in range(levels))
    return float(nll / test_x.size)


@pytest.mark.parametrize(
    "head", [[], ["model/head=logistic_mixture", "callbacks=[default,ema]"]], ids=["softmax", "mixture"]
)
def test_short_training_beats_the_histogram_baseline(make_config, tmp_path: Path, head: list[str]) -> None:
    cfg = make_config(
        *head,
        "model.backbone.num_layers=4",
        "model.backbone.hidden_channels=24",
        "model.backbone.skip_channels=24",
        "model.backbone.output_hidden=48",
        "model.backbone.kernel_size=3",
        "model.backbone.first_kernel_size=5",
        "model.optimizer.lr=0.003",
        "trainer.max_epochs=3",
        "callbacks.sample_grid.every_n_epochs=3",
        "callbacks.sample_grid.num_samples=4",
        "~callbacks.rich_progress_bar",
        "print_config=false",
    )
    metrics = train(cfg)
    dm = DigitsDataModule(image_shape=[1, 8, 8], num_levels=17, num_classes=10, seed=cfg.seed)
    dm.setup()
    baseline = histogram_baseline_bpd(dm)
    assert 2.3 < baseline < 2.6  # sanity of the baseline itself
    assert metrics["test/bpd"] < baseline - 0.15, (metrics["test/bpd"], baseline)
    assert math.isfinite(metrics["val/bpd"])
    saved = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert saved["test/bpd"] == pytest.approx(metrics["test/bpd"])
    model = load_model(tmp_path / "run" / "checkpoints" / "last.ckpt")
    assert type(model.backbone.head_out).__name__ == ("LogisticMixtureHead" if head else "SoftmaxHead")
    assert (tmp_path / "run" / "figures" / "samples.png").is_file()


def test_hydra_multirun_runs_each_job_in_its_own_folder(tmp_path: Path) -> None:
    result = run_cli("train.py", "-m", *FAST_TRAIN, "model=gated,gated_cond", f"hydra.sweep.dir={tmp_path}")
    assert result.returncode == 0, result.stderr[-3000:]
    for job in ("0", "1"):
        assert (tmp_path / job / "checkpoints" / "last.ckpt").is_file()
        assert "test/bpd" in json.loads((tmp_path / job / "metrics.json").read_text())
