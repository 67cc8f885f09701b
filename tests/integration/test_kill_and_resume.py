"""Kills never cost a checkpoint: atomic checkpoint writes, and a run killed by SIGKILL resumes where it was."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from pixelcnn.checkpoints.atomic import write_atomically
from pixelcnn.checkpoints.io import AtomicCheckpointIO
from pixelcnn.checkpoints.reader import read_checkpoint
from pixelcnn.tasks.train import train
from tests.helpers import FAST_TRAIN, REPO, compose_config


# --- atomic checkpoint writes -------------------------------------------------------------------------------------
def test_a_failure_mid_write_keeps_the_previous_checkpoint(tmp_path: Path, monkeypatch) -> None:
    io, path = AtomicCheckpointIO(), tmp_path / "checkpoints" / "last.ckpt"
    io.save_checkpoint({"state_dict": {"w": torch.ones(3)}, "global_step": 1}, path)

    real_save = torch.save

    def save_half_then_fail(obj, file, *args, **kwargs) -> None:
        real_save(obj, file, *args, **kwargs)
        file.seek(0)
        file.truncate(40)  # a partial file on disk, then the "disk" fails
        raise OSError("No space left on device")

    monkeypatch.setattr(torch, "save", save_half_then_fail)
    with pytest.raises(OSError, match="No space left"):
        io.save_checkpoint({"state_dict": {"w": torch.zeros(3)}, "global_step": 2}, path)
    monkeypatch.setattr(torch, "save", real_save)
    kept = read_checkpoint(path)
    assert kept["global_step"] == 1 and torch.equal(kept["state_dict"]["w"], torch.ones(3))
    assert sorted(p.name for p in path.parent.iterdir()) == ["last.ckpt"]  # no temporary file left behind


def test_a_kill_mid_write_keeps_the_previous_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "last.ckpt"
    script = f"""
import os, signal, torch
from pathlib import Path
from pixelcnn.checkpoints.atomic import write_atomically
write_atomically({{"state_dict": {{"w": torch.ones(1000)}}, "global_step": 1}}, Path({str(path)!r}))
real_save = torch.save
def save_and_die(obj, file, *args, **kwargs):
    real_save(obj, file, *args, **kwargs)
    file.flush()
    os.truncate(file.name, 100)  # the process dies with a partial file written
    os.kill(os.getpid(), signal.SIGKILL)
torch.save = save_and_die
write_atomically({{"state_dict": {{"w": torch.zeros(1000)}}, "global_step": 2}}, Path({str(path)!r}))
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert result.returncode == -signal.SIGKILL, result.stderr[-2000:]
    kept = read_checkpoint(path)
    assert kept["global_step"] == 1 and torch.equal(kept["state_dict"]["w"], torch.ones(1000))
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "last.ckpt"]
    assert len(leftovers) == 1 and leftovers[0].startswith(".last.ckpt~")  # the dead write's temp file, ignored
    write_atomically({"state_dict": {"w": torch.ones(1)}}, path)  # the next write removes it: its writer is gone
    assert [p.name for p in tmp_path.iterdir()] == ["last.ckpt"]


# --- resume after SIGKILL -----------------------------------------------------------------------------------------
RESUME_TRAIN = [
    *(o for o in FAST_TRAIN if "limit_train_batches" not in o and "max_epochs" not in o),
    "data.batch_size=8",  # 163 steps per epoch: a kill lands mid-epoch
    "trainer.max_epochs=1000",
    "callbacks.step_checkpoint.every_n_train_steps=5",
    "~callbacks.sample_grid",
    "figures=none",
    "test=false",
]


def wait_for_checkpoint(path: Path, process: subprocess.Popen, min_step: int, timeout: float = 400) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read()[-3000:]
        if path.is_file() and read_checkpoint(path)["global_step"] >= min_step:  # complete: writes are atomic
            return
        time.sleep(0.2)
    raise TimeoutError(f"no checkpoint at step >= {min_step} in {path}")


@pytest.mark.slow
def test_a_killed_run_resumes_with_its_optimizer_state_and_step(tmp_path: Path) -> None:
    runs = tmp_path / "outputs" / "train" / "runs"
    killed_dir = runs / "2026-01-01_00-00-00"
    env = {**os.environ, "HYDRA_FULL_ERROR": "0"}
    command = [sys.executable, str(REPO / "train.py"), *RESUME_TRAIN]
    process = subprocess.Popen(
        [*command, f"hydra.run.dir={killed_dir}"], cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    last = killed_dir / "checkpoints" / "last.ckpt"
    try:
        wait_for_checkpoint(last, process, min_step=5)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    killed = read_checkpoint(last)
    step = killed["global_step"]
    assert step % 5 == 0 and step % 163 != 0  # saved mid-epoch, every 5 steps
    adam_steps = {int(s["step"]) for s in killed["optimizer_states"][0]["state"].values()}
    assert adam_steps == {step}

    # run again in the same run folder (as a SLURM requeue does): ckpt_path=last finds the killed run's last.ckpt
    resumed_dir = killed_dir
    cfg = compose_config("train", [*RESUME_TRAIN, "ckpt_path=last", f"trainer.max_steps={step + 3}"], resumed_dir)
    train(cfg)
    resumed = read_checkpoint(resumed_dir / "checkpoints" / "last.ckpt")
    assert resumed["global_step"] == step + 3
    # Adam's own step counter went on from the killed run's: its state was restored, not restarted
    assert {int(s["step"]) for s in resumed["optimizer_states"][0]["state"].values()} == {step + 3}
    assert resumed["loops"]["fit_loop"]["epoch_loop.batch_progress"]["total"]["completed"] == step + 3


# --- SIGTERM / SIGUSR1 / SIGINT: a checkpoint at the signal, a non-zero exit -------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize(("signum", "status"), [(signal.SIGTERM, 143), (signal.SIGUSR1, 143), (signal.SIGINT, 1)])
def test_a_signal_saves_a_checkpoint_and_exits_non_zero(tmp_path: Path, signum: int, status: int) -> None:
    run_dir = tmp_path / "run"
    overrides = [*RESUME_TRAIN, "callbacks.step_checkpoint.every_n_train_steps=20", f"hydra.run.dir={run_dir}"]
    env = {**os.environ, "HYDRA_FULL_ERROR": "0", "PYTHONFAULTHANDLER": "1"}  # SIGABRT prints every thread's stack
    # A suite started in the background (`cmd &`) ignores SIGINT, and an ignored signal stays ignored across exec:
    # start the run as a terminal would, with SIGINT handled (a Python handler is reset to the default at exec).
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        process = subprocess.Popen(
            [sys.executable, str(REPO / "train.py"), *overrides],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
    finally:
        signal.signal(signal.SIGINT, previous)
    last = run_dir / "checkpoints" / "last.ckpt"
    try:
        wait_for_checkpoint(last, process, min_step=20)  # training is running: Lightning's handlers are set
        before = last.stat().st_mtime_ns
        process.send_signal(signum)
        try:
            _, stderr = process.communicate(timeout=120)
        except subprocess.TimeoutExpired:  # where it hangs, for the report
            process.send_signal(signal.SIGABRT)
            pytest.fail(f"still running 120 s after {signal.Signals(signum).name}:\n{process.communicate()[1][-6000:]}")
    finally:
        process.kill()
    assert process.returncode == status, stderr[-3000:]
    step = read_checkpoint(last)["global_step"]
    assert last.stat().st_mtime_ns > before and step >= 20  # written at the signal, not the last periodic one
    if signum != signal.SIGINT:  # Lightning reports Ctrl+C itself
        lines = [line for line in stderr.strip().splitlines() if line.startswith("error:")]
        name = signal.Signals(signum).name
        assert lines == [
            f"error: stopped by {name} at global step {step}; saved {last}; resume with the same "
            "hydra.run.dir and ckpt_path=last"
        ], stderr[-3000:]
