"""Every README command the generic runner owns (``tests.helpers.readme.generic_commands``) runs as written, shrunk.

Each runs with the README's exact overrides, placeholders filled with real run folders, then sizes from the runner's
one list (``tests.helpers.readme_runner.SIZES``: step and batch limits, a small backbone, tiny data files in each real
data set's official format, few samples) for the keys it does not set, W&B offline. ``train.py`` / ``eval.py`` /
``compare`` run in-process through the same task functions and one-line error handling as their entry points (a
multirun: each job in turn); the entry point itself runs in a subprocess where it matters (``-m``, a launcher,
DDP, which starts its other processes by running the command line again).
Commands that need a GPU (``trainer=gpu``, ``trainer=ddp``) must stop with one line and exit status 2 on a machine
without one, and run shrunk on one that has it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
from hydra.core.global_hydra import GlobalHydra
from omegaconf import OmegaConf

from pixelcnn.analysis.compare import main as compare_main
from pixelcnn.tasks.errors import user_errors
from pixelcnn.tasks.evaluate import evaluate
from pixelcnn.tasks.sweep_jobs import run_job
from pixelcnn.tasks.train import optimized_value, train
from tests.helpers import compose_config, run_cli
from tests.helpers.official_formats import patch_cifar10_checksums, write_cifar10, write_imagenet32
from tests.helpers.readme import generic_commands
from tests.helpers.readme_runner import Places, fill, jobs, key, only_sizes, shrink, split

NEEDS_GPU = ("trainer=gpu", "trainer=ddp")
MULTIRUN = "python train.py -m model.backbone.hidden_channels=32,64 seed=0,1"  # the entry point's -m: a subprocess
SLURM = "python train.py -m hydra/launcher=slurm"  # the launcher starts first: a subprocess
EXPECT = {  # what a command must have written into its run folder, besides metrics.json
    "logger=wandb": "wandb/offline-run-*/run-*.wandb",
    "logger=[csv,tensorboard,wandb]": "wandb/offline-run-*/run-*.wandb",
    "logger=tensorboard": "tensorboard/events.out.tfevents.*",
}
COMMANDS = generic_commands()


@pytest.fixture(scope="module")
def places(tmp_path_factory: pytest.TempPathFactory) -> Places:
    """Two finished tiny training runs and the README's multirun (4 jobs, through train.py -m)."""
    torch.set_num_threads(1)  # module fixtures run before conftest's per-test one
    root = tmp_path_factory.mktemp("readme")
    data_dir = root / "data"
    write_cifar10(data_dir)
    write_imagenet32(data_dir, per_batch=8)
    write_imagenet32(data_dir, per_batch=8, resolution=64)
    runs = root / "outputs" / "train" / "runs"
    for seed, name in enumerate(("date1", "date2")):  # the first with an offline W&B run (for wandb sync --dry-run)
        given = [f"seed={seed}", "~callbacks.sample_grid", "figures=none", "print_config=false"]
        given += ["logger=[csv,wandb]"] * (seed == 0)
        small = shrink(compose_config("train", given, runs / name), given, data_dir)
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("WANDB_MODE", "offline")
            with user_errors():
                train(compose_config("train", [*given, *small], runs / name))
    words = split(MULTIRUN)[1]
    small = shrink(compose_config("train", jobs(words)[0], root / "job"), words, data_dir)
    GlobalHydra.instance().clear()
    result = run_cli("train.py", "-m", *words, *small, f"hydra.sweep.dir={root / 'multirun'}")
    assert result.returncode == 0, result.stderr[-3000:]
    return Places(runs / "date1", runs / "date2", root / "multirun", root / "new")


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.chdir(tmp_path)  # nothing a command writes may land in the repo
    patch_cifar10_checksums(monkeypatch)


class RecordCompile:
    """``torch.compile`` that records the options it was given and compiles with backend eager."""

    def __init__(self, compile_: Callable) -> None:
        self.compile_, self.seen = compile_, []

    def __call__(self, model: Callable, **options: Any) -> Callable:
        self.seen.append(options)
        return self.compile_(model, backend="eager")


def run_in_process(name: str, overrides: list[str], places: Places, output_dir: Path) -> None:
    """Compose as Hydra would, shrink, and run the entry point's task inside its one-line error handling."""
    cfg = compose_config(name, overrides, output_dir)
    small = shrink(cfg, overrides, places.tmp.parent / "data")
    assert not only_sizes(small, overrides), only_sizes(small, overrides)  # sizes from the one list, nothing else
    cfg = compose_config(name, overrides + small, output_dir)
    try:
        if name == "train":
            run_job(lambda: optimized_value(cfg, train(cfg)), output_dir)
        else:
            with user_errors():
                evaluate(cfg)
    finally:
        GlobalHydra.instance().clear()


@pytest.mark.parametrize("command", COMMANDS, ids=[c[:90] for c in COMMANDS])
def test_readme_command_runs(command: str, places: Places, tmp_path: Path, capsys, monkeypatch) -> None:
    if command == MULTIRUN:  # the fixture ran it; here its four job folders
        assert all((places.multirun / job / "metrics.json").is_file() for job in "0123")
        return
    if command.startswith("wandb sync --dry-run"):  # from the folder that holds outputs/
        wandb = str(Path(sys.executable).with_name("wandb"))
        result = subprocess.run(command.replace("wandb", wandb, 1), shell=True, cwd=places.run.parents[3], text=True,
                                capture_output=True, timeout=120)  # fmt: skip
        assert result.returncode == 0 and "Would sync 1 run(s)" in result.stdout + result.stderr, result
        return
    name, words = split(fill(command, places))
    if command.startswith(SLURM):
        result = run_cli("train.py", "-m", *words, cwd=tmp_path)  # Hydra writes the sweep's multirun.yaml first
        assert result.returncode == 2 and result.stderr.strip().splitlines() == [result.stderr.strip()]
        assert result.stderr.startswith("error: hydra/launcher=slurm needs SLURM (srun / sbatch)")
        return
    run_dir = next((Path(w.split("=", 1)[1]) for w in words if w.startswith("hydra.run.dir=")), tmp_path / "run")
    if any(marker in words for marker in NEEDS_GPU) and not torch.cuda.is_available():
        with pytest.raises(SystemExit) as stopped:
            run_in_process(name, words, places, run_dir)
        error = capsys.readouterr().err.strip()
        assert stopped.value.code == 2 and error.startswith("error: ") and "\n" not in error, error
        assert "GPU" in error or "gpu" in error, error
        return
    if {"trainer=ddp", "trainer=ddp_cpu"} & set(words):  # DDP starts its other processes by running the command again
        small = shrink(compose_config(name, words, tmp_path / "job"), words, places.tmp.parent / "data")
        small += [] if any(key(w) == "hydra.run.dir" for w in words) else [f"hydra.run.dir={run_dir}"]
        assert not only_sizes(small, words), only_sizes(small, words)
        GlobalHydra.instance().clear()
        result = run_cli(f"{name}.py", *words, *small)
        assert result.returncode == 0, result.stderr[-3000:]
        assert (run_dir / "metrics.json").is_file()
        return
    if "model.compile=true" in words:  # inductor (max-autotune) takes minutes on a CPU: record, compile eagerly
        monkeypatch.setattr(torch, "compile", RecordCompile(torch.compile))
    if name == "compare":
        assert compare_main(words) == 0
        assert Path(json.loads(capsys.readouterr().out)["output"]).is_file()
        return
    for number, job in enumerate(jobs(words)):
        folder = run_dir if number == 0 else run_dir.with_name(f"{run_dir.name}_{number}")
        run_in_process(name, job, places, folder)
        assert (folder / "metrics.json").is_file(), job
        wanted = [pattern for marker, pattern in EXPECT.items() if marker in command]
        assert all(list(folder.glob(pattern)) for pattern in wanted), (wanted, sorted(folder.rglob("*")))
        assert name == "train" or ("figures=none" in words) != (folder / "samples.png").is_file()  # eval's figures
        if "splits=[test,train]" in words:
            assert "train/bpd" in json.loads((folder / "metrics.json").read_text())
    output = capsys.readouterr()
    assert "Traceback" not in output.err, output.err[-3000:]
    if "model.compile=true" in words:  # the README's compile options reached torch.compile
        options = next((w.split("=", 1)[1] for w in words if w.startswith("model.compile_options=")), "{}")
        assert torch.compile.seen == [OmegaConf.to_container(OmegaConf.create(options))]
        torch._dynamo.reset()
