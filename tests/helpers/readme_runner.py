"""Run a README command as written, shrunk: its placeholders filled with real paths, its exact overrides, then
overrides that make it finish in seconds for the keys it does not set itself."""

from __future__ import annotations

import itertools
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from tests.helpers.config import TINY_BACKBONE


@dataclass
class Places:
    """The real paths a README placeholder stands for (made once per test module)."""

    run: Path  # a finished training run (<date>, <date1>, run_a, /path/to/run)
    other_run: Path  # a second one (<date2>, run_b)
    multirun: Path  # a multirun folder
    tmp: Path  # where a command's own new folders go (/scratch/my_run, outputs/train/runs/mine, /tmp/...)

    def best(self) -> str:
        return str(next((self.run / "checkpoints").glob("epoch_*.ckpt")))


def fill(command: str, places: Places) -> str:
    """The command with every placeholder a user fills in replaced by a real path."""
    rules = [
        (r"outputs/train/runs/<date>/checkpoints/epoch_\w+\.ckpt", places.best()),
        (r"/path/to/run/checkpoints/last\.ckpt", str(places.run / "checkpoints" / "last.ckpt")),
        (r"outputs/train/runs/<date2>", str(places.other_run)),
        (r"outputs/train/runs/<date1?>", str(places.run)),
        (r"outputs/train/multiruns/<date>", str(places.multirun)),
        (r"ckpt_path=\.\.\.", f"ckpt_path={places.best()}"),
        (r"\brun_a run_b\b", f"{places.run} {places.other_run}"),
        (r"/scratch/my_run|outputs/train/runs/mine", str(places.tmp / "my_run")),
        (r"--output /tmp/", f"--output {places.tmp}/"),
    ]
    for pattern, path in rules:
        command = re.sub(pattern, path, command)
    assert "<" not in command and "..." not in command, f"a placeholder left: {command}"
    return command


def split(command: str) -> tuple[str, list[str]]:
    """(entry point: train / eval / compare, its arguments without ``-m``)."""
    words = shlex.split(command)
    if words[:3] == ["python", "-m", "pixelcnn.analysis.compare"]:
        return "compare", words[3:]
    return words[1].removesuffix(".py"), [w for w in words[2:] if w != "-m"]


def jobs(overrides: list[str]) -> list[list[str]]:
    """A multirun's jobs: one list of overrides per combination of the comma lists (``key=a,b``)."""
    choices = [[f"{key(o)}={v}" for v in o.split("=", 1)[1].split(",")] if is_sweep(o) else [o] for o in overrides]
    return [list(job) for job in itertools.product(*choices)]


def is_sweep(override: str) -> bool:
    value = override.split("=", 1)[-1]
    return "," in value and not value.startswith(("[", "{", "'"))


def key(override: str) -> str:
    return override.split("=", 1)[0].lstrip("+~")


def shrink(cfg: DictConfig, given: list[str], data_dir: Path) -> list[str]:
    """Overrides that make the composed ``cfg`` run in seconds, for the keys ``given`` does not set."""
    small = {
        "trainer.max_epochs": 1,
        "trainer.limit_train_batches": 2,
        "trainer.limit_val_batches": 1,
        "trainer.limit_test_batches": 1,
        "data.batch_size": 8,
        "data.num_workers": 0,
        "callbacks.sample_grid.num_samples": 2,
        "figures.samples.num_samples": 4,
        "figures.reconstructions.rows": 2,
        "figures.reconstructions.samples_per_row": 1,
        "paths.data_dir": str(data_dir),
        **{f"model.backbone.{k}": v for k, v in TINY_BACKBONE.items()},
    }
    data = cfg.get("data") or {}
    if "data_dir" in data:  # a real data set: the tiny files in its official format
        small["data.val_size"] = 4
    if "patches_per_image" in data:  # natural-image crops: 8x8 ones, few
        small |= {"data.image_shape": "[3,8,8]", "data.patches_per_image": "[16,8,8]"}
    set_keys = {key(o) for o in given}
    absent = object()
    known = [k for k in small if k not in set_keys and OmegaConf.select(cfg, k, default=absent) is not absent]
    out = [f"{k}={small[k]}" for k in known]
    if data and min(data.get("image_shape", [0, 0, 0])[1:]) > 8 and "data.image_shape" not in small:
        # sampling 32x32 / 64x64 images costs more than the run
        out = [o for o in out if not o.startswith(("callbacks.sample_grid.", "figures."))]
        out += ["~callbacks.sample_grid", "figures=none"]
    return out
