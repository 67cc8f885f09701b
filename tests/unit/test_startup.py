"""A first start without friction: a config error is one line, fast (no torch / Lightning import), and a start
that fails leaves no run folder behind (``pixelcnn.tasks.startup``)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hydra.core.hydra_config import HydraConfig

from pixelcnn.tasks.resolvers import CREATED_DIRS
from pixelcnn.tasks.startup import removed_if_failed
from tests.helpers import REPO, run_cli

HEAVY = ("torch", "pytorch_lightning", "lightning_fabric")


def imported_while_failing(script: str, *overrides: str, cwd: Path) -> tuple[subprocess.CompletedProcess, set[str]]:
    """Run an entry point under ``python -X importtime``: the result (stderr without the import lines) and the
    top-level packages it imported."""
    env = {**os.environ, "HYDRA_FULL_ERROR": "0", "WANDB_MODE": "offline"}
    done = subprocess.run(
        [sys.executable, "-X", "importtime", str(REPO / script), *overrides],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    lines = done.stderr.splitlines()
    modules = {line.rsplit("|", 1)[1].strip() for line in lines if line.startswith("import time:")}
    done.stderr = "".join(f"{line}\n" for line in lines if not line.startswith("import time:"))
    return done, {name.split(".")[0] for name in modules}


@pytest.mark.parametrize(
    ("script", "overrides", "says"),
    [
        ("train.py", ["modle=gated"], "modle"),
        ("train.py", ["model.optimizer.lrr=1"], "lrr"),
        ("train.py", ["data=imagenet6"], "imagenet6"),
        ("train.py", ["data=folder"], "data.path"),  # a ??? value: its run folder was created already
        ("eval.py", [], "ckpt_path"),
        ("eval.py", ["ckpt_path=x.ckpt", "splits=[test"], "[test"),
        ("export_embeddings.py", ["ckpt_path=x.ckpt", "modle=1"], "modle"),
    ],
)
def test_a_config_error_is_one_line_without_importing_torch(script, overrides, says, tmp_path) -> None:
    done, imported = imported_while_failing(script, *overrides, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("error: ") and done.stderr.count("\n") == 1, done.stderr
    assert says in done.stderr
    assert not imported & set(HEAVY), sorted(imported & set(HEAVY))
    assert not (tmp_path / "outputs").exists() or not any((tmp_path / "outputs").rglob(".hydra"))


def test_a_start_that_fails_after_lightning_leaves_no_run_folder(tmp_path) -> None:
    data = f"paths.data_dir={tmp_path / 'none'}"
    done = run_cli("train.py", "experiment=cifar10", data, "print_config=true", cwd=tmp_path)  # its own task_name
    assert done.returncode == 2 and "CIFAR" in done.stderr, done.stderr
    assert [path for path in (tmp_path / "outputs").rglob("*") if not path.is_dir()] == []


@pytest.fixture(autouse=True)
def no_hydra_job(monkeypatch) -> None:
    """No Hydra job left over from another test: its job name would name the log file (``train`` here)."""
    monkeypatch.setattr(HydraConfig.instance(), "cfg", None)


def started(folder: Path, *files: str) -> Path:
    """A run folder as ``unique_dir`` creates it and a start fills it, with ``files`` in it."""
    for name in (".hydra/config.yaml", ".hydra/overrides.yaml", "train.log", "config_tree.log", *files):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text("x")
    CREATED_DIRS.add(str(folder))
    return folder


def fail_in(folder: Path) -> None:
    with pytest.raises(SystemExit), removed_if_failed(folder):
        raise SystemExit(2)


def test_a_failed_start_removes_only_its_own_startup_files(tmp_path) -> None:
    fail_in(started(tmp_path / "fresh", "csv/hparams.yaml"))
    assert not (tmp_path / "fresh").exists()


@pytest.mark.parametrize("run_file", ["checkpoints/last.ckpt", "csv/metrics.csv", "wandb_run_id.txt", "notes.txt"])
def test_a_folder_holding_anything_of_a_run_is_kept(tmp_path, run_file) -> None:
    folder = started(tmp_path / "run", run_file)
    fail_in(folder)
    assert (folder / run_file).is_file() and (folder / ".hydra" / "config.yaml").is_file()


def test_a_folder_this_start_did_not_create_is_kept(tmp_path) -> None:
    folder = started(tmp_path / "mine")
    CREATED_DIRS.discard(str(folder))  # named with hydra.run.dir=..., maybe a resumed run's
    fail_in(folder)
    assert (folder / ".hydra" / "config.yaml").is_file()


def test_a_run_that_succeeds_keeps_its_folder(tmp_path) -> None:
    folder = started(tmp_path / "ok")
    with removed_if_failed(folder):
        pass
    assert folder.is_dir()


@pytest.mark.parametrize("script", ["train.py", "eval.py"])
def test_help_starts_with_this_repos_usage(script, tmp_path) -> None:
    done = run_cli(script, "--help", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    usage, groups = done.stdout.split("== Configuration groups ==", 1)  # Hydra's part follows ours
    assert usage.startswith(f"Gated / Conditional PixelCNN: python {script}")
    assert "python train.py model=gated_cond data=imagenet64" in usage
    assert "ckpt_path=last" in usage and "python eval.py ckpt_path=" in usage
    for line in usage.splitlines():
        for group, option in re.findall(r" ([a-z_/]+)=([a-z0-9_]+)\b", line.split("#")[0]):
            choice = f"{group}={option}"
            if not (REPO / "conf" / group).is_dir():  # a key (ckpt_path=last), not a group
                continue
            assert (REPO / "conf" / group / f"{option}.yaml").is_file(), f"--help names {choice}, not in conf/"
    assert "\nmodel: " in groups and "\ndata: " in groups
    assert not (tmp_path / "outputs").exists()
