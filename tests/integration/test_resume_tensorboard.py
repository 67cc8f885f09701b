"""A resume in the same run folder appends to the same TensorBoard log: both segments' scalars in one folder."""

from __future__ import annotations

from pathlib import Path

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from pixelcnn.tasks.train import train
from tests.helpers import FAST_TRAIN

QUICK = [*FAST_TRAIN, "~callbacks.sample_grid", "figures=none", "test=false", "logger=[csv,tensorboard]"]


def scalars(log_dir: Path, tag: str) -> dict[int, float]:
    """``{step: value}`` of ``tag`` over every event file in ``log_dir`` (not its subfolders)."""
    events = EventAccumulator(str(log_dir), size_guidance={"scalars": 0})
    events.Reload()
    return {event.step: event.value for event in events.Scalars(tag)}


def test_a_resume_appends_to_the_same_tensorboard_log(make_config, tmp_path: Path) -> None:
    log_dir = tmp_path / "run" / "tensorboard"
    train(make_config(*QUICK))
    first = scalars(log_dir, "val/bpd")
    assert len(first) == 1, first

    train(make_config(*QUICK, "ckpt_path=last", "trainer.max_epochs=2"))
    assert [path.name for path in log_dir.iterdir() if path.is_dir()] == []  # one log folder, no version_N
    assert len(list(log_dir.glob("events.out.tfevents.*"))) == 2  # the resume wrote its own file next to the first
    both = scalars(log_dir, "val/bpd")
    assert sorted(both) == [2, 5], both  # logged at the last batch of each epoch (3 batches an epoch)
    assert both[2] == first[2]
    epochs = scalars(log_dir, "epoch")
    assert {0.0, 1.0} <= set(epochs.values()), epochs
