"""Run a README command as written, shrunk: its placeholders filled with real paths, its exact overrides, then
sizes from the one list ``SIZES`` for the keys it does not set itself (docs/development.md describes the list)."""

from __future__ import annotations

import itertools
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from omegaconf import DictConfig, OmegaConf


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


# The only overrides the runner may add to a README line, exactly as written here, and only for keys the line does not
# set itself: sizes that make a run finish in seconds, never an option that would make a failing line pass.
# docs/development.md ("How the README is tested") describes this list.
EVERY_LINE: tuple[str, ...] = (
    # step and batch limits
    "trainer.max_epochs=1",
    "trainer.max_epochs=2",  # instead, on a line that resumes one of the test's 1-epoch runs: one more epoch
    "trainer.limit_train_batches=2",
    "trainer.limit_val_batches=1",
    "trainer.limit_test_batches=1",
    "data.batch_size=8",
    "data.num_workers=0",
    # a small backbone, on every PixelCNN (the paper-scale data sets compose the paper's network)
    "model/backbone=small",
    # tiny data: a tiny val split of the tiny files (PLACES), 8x8 natural-image crops
    "data.val_size=4",
    "data.image_shape=[3,8,8]",
    "data.patches_per_image=[16,8,8]",
    # figure and sample counts; none at all for 32x32 / 64x64 images, whose sampling costs more than the run
    "callbacks.sample_grid.num_samples=2",
    "figures.samples.num_samples=4",
    "figures.reconstructions.rows=2",
    "figures.reconstructions.samples_per_row=1",
    "~callbacks.sample_grid",
    "figures=none",
)
# the headline command on the paper's own network (tests/integration/test_headline_command.py) only: 2 steps of 1
# image, its CPU cost line printed after the second step even for so short an epoch
HEADLINE: tuple[str, ...] = (
    "data.batch_size=1",
    "data.val_size=2",
    "trainer.max_steps=2",
    "callbacks.sample_grid.num_samples=0",
    "callbacks.cpu_cost.steps=1",
    "callbacks.cpu_cost.min_epoch_minutes=0",
)
SIZES = EVERY_LINE + HEADLINE  # the one documented list (docs/development.md)
# Where a run reads its data (the tiny files in each real data set's official format) and writes (temporary folders).
PLACES = ("paths.data_dir", "hydra.run.dir", "hydra.sweep.dir")
NO_FIGURES = ("~callbacks.sample_grid", "figures=none")


def shrink(cfg: DictConfig, given: list[str], data_dir: Path) -> list[str]:
    """Overrides from ``EVERY_LINE`` that make the composed ``cfg`` run in seconds, for keys ``given`` does not set."""
    set_keys = {key(o) for o in given}
    resumes = "ckpt_path" in set_keys and OmegaConf.select(cfg, "train", default=False)
    skip = {"trainer.max_epochs=1" if resumes else "trainer.max_epochs=2", "model/backbone=small", *NO_FIGURES}
    data = cfg.get("data") or {}
    if "data_dir" not in data:  # only a real data set reads tiny files
        skip.add("data.val_size=4")
    crops = "patches_per_image" in data  # natural-image crops: 8x8 ones, few
    if not crops:
        skip |= {"data.image_shape=[3,8,8]", "data.patches_per_image=[16,8,8]"}
    absent = object()
    out = [o for o in EVERY_LINE if o not in skip and key(o) not in set_keys]
    out = [o for o in out if OmegaConf.select(cfg, key(o), default=absent) is not absent]
    out += [] if "paths.data_dir" in set_keys else [f"paths.data_dir={data_dir}"]
    if OmegaConf.select(cfg, "model.backbone._target_", default="") == "pixelcnn.nn.GatedPixelCNN":
        out += [] if "model/backbone" in set_keys else ["model/backbone=small"]
    side = OmegaConf.select(cfg, "data.image_shape", default=[0, 0, 0])[1:]
    if data and min(side) > 8 and not crops:
        out = [o for o in out if not o.startswith(("callbacks.sample_grid.", "figures."))]
        if not any(k.startswith(("callbacks.sample_grid", "figures")) for k in set_keys):
            out += NO_FIGURES
    return out


def only_sizes(added: list[str], given: list[str]) -> list[str]:
    """The overrides of ``added`` that break the rule: neither exactly an entry of ``SIZES`` nor a place of
    ``PLACES``, or one whose key the line sets itself."""
    set_keys = {key(o) for o in given}
    return [o for o in added if (o not in SIZES and key(o) not in PLACES) or key(o) in set_keys]
