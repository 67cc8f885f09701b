"""Runs survive faults: bad checkpoints, resume, atomic checkpoint writes, NaN loss, config and input errors."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from tests.helpers import FAST_TRAIN, REPO, compose_config, run_cli

from pixelcnn import load_model
from pixelcnn.api import read_checkpoint
from pixelcnn.checkpoint_io import AtomicCheckpointIO
from pixelcnn.errors import CheckpointError, DataValidationError, InputError
from pixelcnn.models import PixelCNN
from pixelcnn.pipeline.evaluate import evaluate
from pixelcnn.pipeline.resume import resolve_ckpt_path
from pixelcnn.pipeline.runtime import user_errors
from pixelcnn.pipeline.train import train


class Gadget:
    """Not a tensor or a plain container: refused by ``weights_only=True``."""

    def __init__(self) -> None:
        self.payload = "anything a pickle can run"


class ExplodingPixelCNN(PixelCNN):
    """Its loss becomes NaN from global step ``explode_at`` on (as after a divergence)."""

    def __init__(self, *args, explode_at: int = 3, **kwargs) -> None:
        super().__init__(*args, explode_at=explode_at, **kwargs)

    def training_step(self, batch, batch_idx):
        loss = super().training_step(batch, batch_idx)
        return loss * math.nan if self.global_step >= self.hparams.explode_at else loss


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run folder of a short training of model=gated on digits (in-process)."""
    run_dir = tmp_path_factory.mktemp("fault") / "runs" / "first"
    cfg = compose_config("train", [*FAST_TRAIN, "~callbacks.sample_grid", "final_figures=null", "test=false"], run_dir)
    train(cfg)
    return run_dir


# --- checkpoints that must be refused with one line -------------------------------------------------------------
def test_corrupt_and_truncated_checkpoints_are_refused(trained: Path, tmp_path: Path) -> None:
    good = (trained / "checkpoints" / "last.ckpt").read_bytes()
    truncated, garbage = tmp_path / "truncated.ckpt", tmp_path / "garbage.ckpt"
    truncated.write_bytes(good[: len(good) // 2])
    garbage.write_bytes(b"not a checkpoint at all" * 100)
    for path in (truncated, garbage):
        with pytest.raises(CheckpointError, match="corrupt or truncated"):
            load_model(path)
    with pytest.raises(CheckpointError, match="does not exist"):
        load_model(tmp_path / "missing.ckpt")


def test_checkpoint_with_arbitrary_objects_is_refused(make_config, trained: Path, tmp_path: Path, capsys) -> None:
    checkpoint = torch.load(trained / "checkpoints" / "last.ckpt", weights_only=True)
    checkpoint["extra"] = Gadget()
    unsafe = tmp_path / "unsafe.ckpt"
    torch.save(checkpoint, unsafe)
    with pytest.raises(CheckpointError, match="not plain weights and was refused.*Gadget"):
        read_checkpoint(unsafe)
    # eval.py's path: one line, exit status 2
    cfg = make_config(f"ckpt_path={unsafe}", "print_config=false", name="eval")
    with pytest.raises(SystemExit) as stopped, user_errors():
        evaluate(cfg)
    lines = capsys.readouterr().err.strip().splitlines()
    assert stopped.value.code == 2 and len(lines) == 1 and "refused" in lines[0], lines


def test_checkpoint_of_another_kind_or_size_is_refused(trained: Path, tmp_path: Path) -> None:
    checkpoint = torch.load(trained / "checkpoints" / "last.ckpt", weights_only=True)
    unknown = tmp_path / "unknown_kind.ckpt"
    torch.save({**checkpoint, "pixelcnn_kind": "autoencoder_from_another_branch"}, unknown)
    with pytest.raises(CheckpointError, match="not written by a known PixelCNN model"):
        load_model(unknown)
    resized = tmp_path / "resized.ckpt"
    hparams = {**checkpoint["hyper_parameters"], "image_shape": [3, 8, 8]}
    torch.save({**checkpoint, "hyper_parameters": hparams}, resized)
    with pytest.raises(CheckpointError, match="weights do not fit a gated model"):
        load_model(resized)


def test_resuming_from_a_mismatching_or_corrupt_checkpoint_is_refused(make_config, trained: Path, tmp_path) -> None:
    ckpt = trained / "checkpoints" / "last.ckpt"
    cases = [
        (["model=gated_cond"], ckpt, "holds a 'gated' model but this run builds 'gated_cond'"),
        (["data=patches"], ckpt, r"trained with image_shape=\[1, 8, 8\] but this run has image_shape=\[3, 32, 32\]"),
        (["model.backbone.hidden_channels=24"], ckpt, "does not fit this model"),
    ]
    truncated = tmp_path / "truncated.ckpt"
    truncated.write_bytes(ckpt.read_bytes()[:1000])
    cases.append(([], truncated, "corrupt or truncated"))
    for overrides, path, message in cases:
        cfg = make_config(*FAST_TRAIN, *overrides, f"ckpt_path={path}")
        with pytest.raises(CheckpointError, match=message):
            train(cfg)


def test_eval_refuses_data_of_another_image_size(make_config, trained: Path) -> None:
    cfg = make_config(
        f"ckpt_path={trained / 'checkpoints' / 'last.ckpt'}", "data=patches", "print_config=false", name="eval"
    )
    with pytest.raises(DataValidationError, match=r"gives \[3, 32, 32\] images .* trained on \[1, 8, 8\]"):
        evaluate(cfg)


# --- where ckpt_path=... points ---------------------------------------------------------------------------------
def test_ckpt_path_resolves_last_a_run_folder_and_a_file(trained: Path, tmp_path: Path) -> None:
    last = trained / "checkpoints" / "last.ckpt"
    new_run = trained.parent / "second"  # a sibling run folder, as Hydra makes for the next run
    assert resolve_ckpt_path("last", new_run) == last
    assert resolve_ckpt_path(str(trained), new_run) == last
    assert resolve_ckpt_path(str(trained / "checkpoints"), new_run) == last
    assert resolve_ckpt_path(str(last), new_run) == last
    assert resolve_ckpt_path(None, new_run) is None
    with pytest.raises(CheckpointError, match="found no last.ckpt"):
        resolve_ckpt_path("last", tmp_path / "runs" / "lonely")
    with pytest.raises(CheckpointError, match="does not exist"):
        resolve_ckpt_path(str(tmp_path / "nope.ckpt"), new_run)


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
from pixelcnn.atomic_file import write_atomically
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
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == -signal.SIGKILL, result.stderr[-2000:]
    kept = read_checkpoint(path)
    assert kept["global_step"] == 1 and torch.equal(kept["state_dict"]["w"], torch.ones(1000))
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "last.ckpt"]
    assert len(leftovers) == 1 and leftovers[0].startswith(".last.ckpt.")  # the dead write's temp file, ignored


# --- NaN / inf loss -----------------------------------------------------------------------------------------------
def test_nan_loss_stops_with_the_step_and_keeps_the_last_good_checkpoint(make_config, tmp_path: Path, capsys) -> None:
    cfg = make_config(
        *FAST_TRAIN,
        "model._target_=test_fault_tolerance.ExplodingPixelCNN",
        "+model.explode_at=3",
        "+trainer.max_steps=10",
        "trainer.limit_train_batches=10",
        "callbacks.step_checkpoint.every_n_train_steps=1",
        "~callbacks.sample_grid",
    )
    with pytest.raises(SystemExit) as stopped, user_errors():
        train(cfg)
    assert stopped.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: the training loss is nan at global step 3"), lines
    last = tmp_path / "run" / "checkpoints" / "last.ckpt"
    assert str(last) in lines[0]
    kept = read_checkpoint(last)
    assert kept["global_step"] == 3
    assert all(torch.isfinite(w).all() for w in kept["state_dict"].values() if w.is_floating_point())
    # the bad step was never applied: the optimizer made exactly 3 steps
    assert all(int(s["step"]) == 3 for s in kept["optimizer_states"][0]["state"].values())


# --- config and input errors through the command line and the API -----------------------------------------------
@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("modle.lr=0.1", r"Could not override 'modle.lr'.*Key 'modle' is not in struct; check the spelling"),
        ("model=gatd", r"Could not find 'model/gatd' Available options in 'model'.* gated gated_cond"),
    ],
)
def test_unknown_config_keys_and_options_get_one_line(override: str, message: str, tmp_path: Path) -> None:
    result = run_cli("train.py", override, f"hydra.run.dir={tmp_path}")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert pytest.importorskip("re").search(message, lines[0]), lines[0]


def test_wrong_conditioning_for_the_data_is_one_line(make_config, capsys) -> None:
    cfg = make_config("model=gated_cond", "data=patches", "print_config=false")
    with pytest.raises(SystemExit) as stopped, user_errors():
        train(cfg)
    assert stopped.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "needs class labels" in lines[0] and "model=gated" in lines[0]


def test_loaded_model_refuses_wrong_images_and_conditioning(trained: Path) -> None:
    model = load_model(trained / "checkpoints" / "last.ckpt")
    good = torch.zeros(2, 1, 8, 8, dtype=torch.long)
    for bad, message in [
        (torch.zeros(2, 3, 8, 8, dtype=torch.long), r"\(B, 1, 8, 8\)"),
        (torch.zeros(2, 1, 16, 16, dtype=torch.long), r"\(B, 1, 8, 8\)"),
        (torch.full((2, 1, 8, 8), 17), r"17 levels"),
    ]:
        with pytest.raises(InputError, match=message):
            model.nll(bad)
    with pytest.raises(InputError, match="unconditional"):
        model.nll(good, cond=torch.tensor([0, 1]))


# --- resume after SIGKILL -----------------------------------------------------------------------------------------
RESUME_TRAIN = [
    *(o for o in FAST_TRAIN if "limit_train_batches" not in o and "max_epochs" not in o),
    "data.batch_size=8",  # 163 steps per epoch: a kill lands mid-epoch
    "trainer.max_epochs=1000",
    "callbacks.step_checkpoint.every_n_train_steps=5",
    "~callbacks.sample_grid",
    "final_figures=null",
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
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "HYDRA_FULL_ERROR": "0"}
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

    # run again in a new run folder of the same task: ckpt_path=last finds the killed run's last.ckpt
    resumed_dir = runs / "2026-01-01_00-10-00"
    cfg = compose_config("train", [*RESUME_TRAIN, "ckpt_path=last", f"+trainer.max_steps={step + 3}"], resumed_dir)
    train(cfg)
    resumed = read_checkpoint(resumed_dir / "checkpoints" / "last.ckpt")
    assert resumed["global_step"] == step + 3
    # Adam's own step counter went on from the killed run's: its state was restored, not restarted
    assert {int(s["step"]) for s in resumed["optimizer_states"][0]["state"].values()} == {step + 3}
    assert resumed["loops"]["fit_loop"]["epoch_loop.batch_progress"]["total"]["completed"] == step + 3
