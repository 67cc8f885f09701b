"""A slow run on the CPU says once, after its first steps, what an epoch costs and what the quick run is."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from pixelcnn.callbacks import cpu_cost
from pixelcnn.callbacks.cpu_cost import CPUCost


def fake_trainer(device: str, batches: float = 1000, rank_zero: bool = True) -> SimpleNamespace:
    strategy = SimpleNamespace(root_device=SimpleNamespace(type=device))
    return SimpleNamespace(strategy=strategy, num_training_batches=batches, is_global_zero=rank_zero)


def run_steps(monkeypatch: pytest.MonkeyPatch, callback: CPUCost, trainer: SimpleNamespace, seconds: float) -> None:
    """Five training steps of ``seconds`` each on a fake clock."""
    now = [0.0]
    monkeypatch.setattr(cpu_cost.time, "perf_counter", lambda: now[0])
    for step in range(5):
        now[0] = seconds * (step + 1)  # the end of this step
        callback.on_train_batch_end(trainer, None, None, None, step)


def test_a_long_cpu_epoch_prints_one_line_with_its_measured_cost(monkeypatch, capsys) -> None:
    run_steps(monkeypatch, CPUCost(steps=2, min_epoch_minutes=10), fake_trainer("cpu", batches=1000), seconds=17.0)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1
    assert "4 h 43 min" in lines[0] and "17.0 s x 1000 steps" in lines[0] and "model/backbone=default" in lines[0]


@pytest.mark.parametrize(
    ("trainer", "seconds"),
    [
        (fake_trainer("cuda"), 17.0),  # a GPU run
        (fake_trainer("cpu", batches=20), 17.0),  # a short epoch: 6 minutes
        (fake_trainer("cpu"), 0.1),  # a quick network
        (fake_trainer("cpu", batches=float("inf")), 17.0),  # an epoch of unknown length
        (fake_trainer("cpu", rank_zero=False), 17.0),  # the other processes of a DDP run
    ],
)
def test_fast_or_gpu_runs_stay_silent(monkeypatch, capsys, trainer: SimpleNamespace, seconds: float) -> None:
    run_steps(monkeypatch, CPUCost(steps=2, min_epoch_minutes=10), trainer, seconds)
    assert capsys.readouterr().out == ""
