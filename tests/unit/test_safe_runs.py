"""A run never mixes with or destroys another: a folder holding a run is refused, a full disk keeps what was written,
every bad value is one line naming its key, a run no better than the uniform model says so."""

from __future__ import annotations

import errno
import hashlib
import os
from pathlib import Path

import pytest
import torch

import pixelcnn.checkpoints.atomic as atomic
from pixelcnn.checkpoints.reader import read_checkpoint
from pixelcnn.errors import PixelCNNError
from pixelcnn.tasks.errors import user_errors, user_message
from pixelcnn.tasks.run_folder import check_fresh_folder
from pixelcnn.tasks.train import no_better_than_uniform, train
from tests.helpers import FAST_TRAIN

QUICK = [*FAST_TRAIN, "trainer.limit_train_batches=2", "trainer.limit_val_batches=1", "~callbacks.sample_grid"]
BARE = [*QUICK, "figures=none", "test=false"]
RESULTS = ("checkpoints/last.ckpt", "metrics.json", "csv/metrics.csv")


def one_error_line(capsys, stopped: pytest.ExceptionInfo) -> str:
    lines = capsys.readouterr().err.strip().splitlines()
    assert stopped.value.code == 2 and len(lines) == 1 and lines[0].startswith("error: "), lines
    return lines[0]


def fingerprints(run: Path) -> dict[str, str]:
    return {name: hashlib.sha256((run / name).read_bytes()).hexdigest() for name in RESULTS if (run / name).exists()}


@pytest.fixture
def old_run(tmp_path: Path) -> Path:
    """A folder as a finished run leaves it (no training: the files only need to exist)."""
    run = tmp_path / "run"
    for name, text in zip(
        RESULTS, ("not really a checkpoint", '{"val/bpd": 1.0}', "epoch,val/bpd\n0,1.0\n"), strict=True
    ):
        (run / name).parent.mkdir(parents=True, exist_ok=True)
        (run / name).write_text(text)
    return run


def test_a_fresh_run_into_a_folder_holding_a_run_is_refused_before_writing(make_config, old_run, capsys) -> None:
    before = fingerprints(old_run)
    cfg = make_config(*[o for o in QUICK if o != "print_config=false"])
    with pytest.raises(SystemExit) as stopped, user_errors():
        train(cfg)
    line = one_error_line(capsys, stopped)
    assert "already holds a run" in line and "ckpt_path=last" in line and "hydra.run.dir=" in line, line
    assert fingerprints(old_run) == before and len(before) == 3
    assert not (old_run / "config_tree.log").exists()  # refused before anything was written


def test_eval_into_a_folder_holding_a_run_is_refused(make_config, old_run, capsys) -> None:
    from pixelcnn.tasks.evaluate import evaluate

    before = fingerprints(old_run)
    with pytest.raises(SystemExit) as stopped, user_errors():
        evaluate(make_config(f"ckpt_path={old_run / RESULTS[0]}", name="eval"))
    line = one_error_line(capsys, stopped)
    assert "already holds a run" in line and "ckpt_path=last" not in line, line
    assert fingerprints(old_run) == before and not (old_run / "config_tree.log").exists()


@pytest.mark.parametrize("name", RESULTS)
def test_each_result_file_marks_a_folder_as_holding_a_run(tmp_path: Path, name: str) -> None:
    (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / name).write_text("x")
    with pytest.raises(PixelCNNError, match="already holds a run"):
        check_fresh_folder(tmp_path, None)
    with pytest.raises(PixelCNNError, match="already holds a run"):  # resuming another folder's checkpoint
        check_fresh_folder(tmp_path, tmp_path.parent / "other" / "checkpoints" / "last.ckpt", "other")


def test_resuming_its_own_checkpoint_and_a_folder_without_results_are_allowed(tmp_path: Path) -> None:
    (tmp_path / ".hydra").mkdir()
    (tmp_path / "config_tree.log").write_text("a refused or earlier start printed this")
    check_fresh_folder(tmp_path, None)  # Hydra's own files are not a run
    (tmp_path / "csv").mkdir()
    (tmp_path / "csv" / "metrics.csv").write_text("epoch\n")
    check_fresh_folder(tmp_path, None, "last")  # stopped before its first checkpoint: a requeue starts it afresh
    (tmp_path / "metrics.json").write_text("{}")
    with pytest.raises(PixelCNNError, match="no checkpoints/last.ckpt to resume"):
        check_fresh_folder(tmp_path, None, "last")
    check_fresh_folder(tmp_path, tmp_path / "checkpoints" / "last.ckpt", "last")


def no_space_after(calls: int):
    """A ``torch.save`` that writes part of the file, then fails as a full disk does, from call ``calls`` on."""
    real, seen = torch.save, []

    def save(obj, file, *args, **kwargs):
        seen.append(1)
        if len(seen) < calls:
            return real(obj, file, *args, **kwargs)
        file.write(b"PK\x03\x04 half a checkpoint")
        raise OSError(errno.ENOSPC, "No space left on device")

    return save


def test_a_full_disk_on_a_fresh_run_is_one_line(make_config, tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.setattr(atomic.torch, "save", no_space_after(1))
    with pytest.raises(SystemExit) as stopped, user_errors():
        train(make_config(*BARE))
    line = one_error_line(capsys, stopped)
    assert "No space left on device" in line and "ckpt_path=last" in line, line
    assert not list((tmp_path / "run" / "checkpoints").glob("*"))  # no partial file anywhere


def test_a_full_disk_on_a_resume_keeps_the_last_checkpoint(make_config, tmp_path: Path, capsys, monkeypatch) -> None:
    run = tmp_path / "run"
    train(make_config(*BARE))
    before = fingerprints(run)
    monkeypatch.setattr(atomic.torch, "save", no_space_after(1))
    with pytest.raises(SystemExit) as stopped, user_errors():
        train(make_config(*BARE, "ckpt_path=last", "trainer.max_epochs=2"))
    assert "No space left on device" in one_error_line(capsys, stopped)
    assert fingerprints(run)["checkpoints/last.ckpt"] == before["checkpoints/last.ckpt"]
    assert read_checkpoint(run / "checkpoints" / "last.ckpt")["global_step"] == 2  # still loads
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == sorted(
        p.name for p in (run / "checkpoints").iterdir() if not p.name.endswith(".tmp")
    )


def test_a_full_disk_writing_metrics_or_figures_keeps_the_older_files(make_config, tmp_path, capsys, monkeypatch):
    run = tmp_path / "run"
    (run).mkdir()
    real_write = Path.write_text

    def full(self: Path, *args, **kwargs):
        if "metrics.json" in self.name:  # the file itself or its temporary copy
            real_write(self, "{")  # part of it, then the disk is full
            raise OSError(errno.ENOSPC, "No space left on device", str(self))
        return real_write(self, *args, **kwargs)

    train(make_config(*BARE))
    before = fingerprints(run)
    monkeypatch.setattr(Path, "write_text", full)
    with pytest.raises(SystemExit) as stopped, user_errors():
        train(make_config(*BARE, "ckpt_path=last", "trainer.max_epochs=2"))
    assert "No space left on device writing" in one_error_line(capsys, stopped)
    assert fingerprints(run)["metrics.json"] == before["metrics.json"]
    assert not list(run.glob(".metrics.json*"))


def test_a_full_disk_while_drawing_the_final_figures_keeps_the_run(make_config, tmp_path, capsys, monkeypatch):
    from PIL import Image

    run = tmp_path / "run"
    train(make_config(*BARE))
    before = fingerprints(run)

    def full(image, path, *args, **kwargs) -> None:  # every figure is written by PIL's Image.save
        Path(path).write_bytes(b"\x89PNG half")
        raise OSError(errno.EDQUOT, "Disk quota exceeded", str(path))

    monkeypatch.setattr(Image.Image, "save", full)
    with pytest.raises(SystemExit) as stopped, user_errors():
        train(make_config(*QUICK, "test=false", "sampling.progress=false", "ckpt_path=last", "trainer.max_epochs=2"))
    line = one_error_line(capsys, stopped)
    assert "Disk quota exceeded writing" in line and "figures" in line, line
    assert fingerprints(run)["metrics.json"] == before["metrics.json"]  # the figures come before metrics.json
    assert read_checkpoint(run / "checkpoints" / "last.ckpt")["global_step"] == 4  # the resumed state, complete


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EDQUOT])
def test_a_full_disk_or_quota_while_drawing_a_figure_is_one_line(code: int) -> None:
    wrapped = RuntimeError("figure failed")
    wrapped.__cause__ = OSError(code, "No space left on device", "/run/figures/samples.png")
    message = user_message(wrapped)
    assert message is not None and "/run/figures/samples.png" in message and "ckpt_path=last" in message


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ("model.optimizer.lr=nan", "model.optimizer.lr=nan"),
        ("model.optimizer.lr=-1", "model.optimizer.lr=-1"),
        ("model.optimizer.lr=0", "model.optimizer.lr=0"),
        ("model.optimizer.lr=fast", "model.optimizer.lr='fast'"),
        ("model.optimizer.weight_decay=-0.1", "model.optimizer.weight_decay=-0.1"),
        ("seed=abc", "seed='abc'"),
        ("seed=-1", "seed=-1"),
    ],
)
def test_bad_training_values_are_one_line_naming_the_key(make_config, capsys, override: str, key: str) -> None:
    with pytest.raises(SystemExit) as stopped, user_errors():
        train(make_config(*BARE, override))
    assert one_error_line(capsys, stopped).startswith(f"error: {key}: must be"), override


@pytest.mark.parametrize("splits", ["[tset]", "[test,vall]", "[]"])
def test_unknown_eval_splits_are_one_line(make_config, capsys, splits: str) -> None:
    from pixelcnn.tasks.evaluate import evaluate

    cfg = make_config("ckpt_path=/nonexistent.ckpt", f"splits={splits}", "print_config=false", name="eval")
    with pytest.raises(SystemExit) as stopped, user_errors():
        evaluate(cfg)
    line = one_error_line(capsys, stopped)
    assert line.startswith("error: splits=") and "choose from train, val, test" in line, line


def test_a_killed_peer_is_one_line_in_the_survivor() -> None:
    gloo = RuntimeError(
        "[../third_party/gloo/gloo/transport/tcp/pair.cc:545] Read error [127.0.0.1]:5523: Connection reset by "
        "peer. This is typically caused by a remote worker hanging or bugs in the application."
    )
    message = user_message(gloo)
    assert message is not None and "\n" not in message
    assert "another process of this distributed run stopped" in message and "ckpt_path=last" in message
    assert user_message(RuntimeError("shape mismatch")) is None  # a bug keeps its traceback
    assert user_message(RuntimeError("Broken pipe in a tokenizer")) is None  # not torch.distributed's


SURVIVOR = """
import os, sys, torch, torch.distributed as dist
from pixelcnn.tasks.errors import user_errors
rank = int(sys.argv[1])
dist.init_process_group("gloo", init_method=sys.argv[2], rank=rank, world_size=2)
with user_errors():
    for step in range(10**6):
        dist.all_reduce(torch.zeros(8))
        if rank == 1 and step == 20:
            os.kill(os.getpid(), 9)  # a rank killed (OOM killer, a lost node)
"""


def test_a_killed_gloo_rank_leaves_the_survivor_with_one_line(tmp_path: Path) -> None:
    import socket
    import subprocess
    import sys

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{sock.getsockname()[1]}"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "GLOO_SOCKET_IFNAME": "lo"}
    ranks = [
        subprocess.Popen(
            [sys.executable, "-c", SURVIVOR, str(rank), address], env=env, stderr=subprocess.PIPE, text=True
        )
        for rank in (0, 1)
    ]
    survivor, killed = (process.communicate(timeout=120)[1] for process in ranks)
    assert ranks[1].returncode == -9
    lines = survivor.strip().splitlines()
    assert ranks[0].returncode == 2 and len(lines) == 1, survivor[-2000:]
    assert lines[0].startswith("error: another process of this distributed run stopped"), lines


def test_the_final_line_says_when_a_run_is_no_better_than_uniform() -> None:
    assert no_better_than_uniform({"val/bpd": 7.9}, 256) == ""
    assert no_better_than_uniform({"test/mse": 0.1}, 256) == ""
    for value in (9e5, float("nan")):
        note = no_better_than_uniform({"val/bpd": value}, 256)
        assert "above 8.0000 = log2 256" in note and "learned nothing" in note, note
    assert "log2 4" in no_better_than_uniform({"val/bpd": 2.5}, 4)


def test_a_run_at_a_huge_learning_rate_says_so_in_its_final_line(make_config, capsys) -> None:
    train(make_config(*BARE, "model.optimizer.lr=1e6"))
    final = [line for line in capsys.readouterr().out.splitlines() if line.startswith("final:")]
    assert len(final) == 1 and "learned nothing" in final[0], final
