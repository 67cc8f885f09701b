"""The repo's headline command, `python train.py model=gated_cond data=imagenet32`, trains the paper's network on
the CPU: 2 steps on tiny official-format ImageNet32 files, overriding only sizes that leave the network as it is."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import run_cli
from tests.helpers.official_formats import write_imagenet32

SIZES_ONLY = [  # each one of the runner's documented sizes (tests/unit/test_readme_runner.py checks)
    "data.batch_size=1",
    "data.val_size=2",
    "data.num_workers=0",
    "trainer.max_steps=2",
    "trainer.limit_train_batches=2",
    "trainer.limit_val_batches=1",
    "trainer.limit_test_batches=1",
    "figures=none",
    "callbacks.sample_grid.num_samples=0",
    "callbacks.cpu_cost.steps=1",  # the cost line after the second step
    "callbacks.cpu_cost.min_epoch_minutes=0",  # an epoch of 2 batches is short: print anyway
]


@pytest.mark.slow
def test_the_headline_command_trains_the_paper_network_on_the_cpu(tmp_path: Path) -> None:
    write_imagenet32(tmp_path / "data", per_batch=4)
    run = tmp_path / "run"
    done = run_cli(
        "train.py",
        "model=gated_cond",
        "data=imagenet32",
        *SIZES_ONLY,
        f"paths.data_dir={tmp_path / 'data'}",
        f"hydra.run.dir={run}",
        "trainer.accelerator=cpu",  # this test's claim is the CPU path, also on a machine with a GPU
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "backbone=paper (data=imagenet32)" in done.stdout
    cost = [line for line in done.stdout.splitlines() if line.startswith("on the CPU one epoch takes about")]
    assert len(cost) == 1 and "model/backbone=default" in cost[0]
    config = (run / "config_tree.log").read_text()
    for line in ("num_layers: 20", "hidden_channels: 384", "kernel_size: 5", "num_classes: 1000", "lr: 0.0003"):
        assert line in config, line
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["test/bpd"] > 0
