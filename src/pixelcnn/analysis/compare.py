"""Compare runs without W&B: bits/dim curves of several runs from their CSV logs, side by side in one PNG.

``python -m pixelcnn.analysis.compare RUN_DIR [RUN_DIR ...] [--metrics train/bpd val/bpd] [--output PNG]``

A RUN_DIR is a training run folder (holding ``csv/metrics.csv``, written with every logger) or a multirun folder
whose job folders hold one each. A run's curve is labelled by its command line's overrides, a multirun's by the
overrides that differ between its jobs.
Any CSV column is a metric (``train/lr``, ``val/mse``, ...). The PNG goes to ``--output``, by default into the one
folder given, else ``outputs/compare/<date>/compare.png``. Prints one JSON object: the PNG path and, per run and
metric, the last and best value.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pixelcnn.errors import PixelCNNError

METRICS_CSV = Path("csv") / "metrics.csv"
DEFAULT_METRICS = ("train/bpd", "val/bpd")


class CompareError(PixelCNNError):
    """A folder given to ``pixelcnn.analysis.compare`` holds no CSV log, or a metric is in none of the logs."""


def find_logs(folders: Sequence[str | Path]) -> dict[str, Path]:
    """Run label -> its ``csv/metrics.csv``. A run folder is labelled by its overrides (``run_labels``); a multirun
    folder contributes every job folder that has one, labelled ``<multirun>/<overrides that differ between its
    jobs>``."""
    folders = [Path(folder) for folder in folders]
    runs = [folder for folder in folders if (folder / METRICS_CSV).is_file()]
    labelled = run_labels(runs, differing=False)
    for folder in folders:
        if folder in runs:
            continue
        found = sorted(folder.glob(f"*/{METRICS_CSV}"), key=lambda p: job_order(p.parent.parent.name))
        if not found:
            raise CompareError(
                f"{folder} holds no {METRICS_CSV} (nor do its subfolders); pass training run folders (every logger "
                "choice writes the CSV log) or multirun folders"
            )
        jobs = run_labels([path.parent.parent for path in found], differing=True)
        labelled.update({job: f"{folder.name}/{label}" for job, label in jobs.items()})
    logs: dict[str, Path] = {}
    for run, label in labelled.items():
        while label in logs:
            label += "'"
        logs[label] = run / METRICS_CSV
    return logs


def job_order(name: str) -> tuple[int, str]:
    return (int(name), "") if name.isdigit() else (sys.maxsize, name)


def run_overrides(run: Path) -> list[str] | None:
    """The run's command-line overrides (``.hydra/overrides.yaml``) that make it differ from another run (not where
    it writes or what it logs to); None for a folder without Hydra's record."""
    from omegaconf import OmegaConf

    from pixelcnn.tasks.resolvers import NOT_IN_NAME, override_key

    file = run / ".hydra" / "overrides.yaml"
    if not file.is_file():
        return None
    return [str(item) for item in OmegaConf.load(file) if override_key(str(item)) not in NOT_IN_NAME]


def run_labels(runs: Sequence[Path], differing: bool) -> dict[Path, str]:
    """Each run's overrides: those that not every run shares (jobs of one multirun, ``differing``) or all of them
    (``default`` for none); the folder name when Hydra's record is missing. Runs with the same overrides (a repeat)
    get their folder name too."""
    overrides = {run: run_overrides(run) for run in runs}
    known = [set(items) for items in overrides.values() if items is not None]
    shared = set.intersection(*known) if differing and known else set()
    labels = {}
    for run, items in overrides.items():
        kept = [item for item in items or [] if item not in shared]
        if items is None or (differing and not kept):
            labels[run] = run.name
        else:
            labels[run] = " ".join(kept) or "default"
    counts = Counter(labels.values())
    repeated = {label for label, count in counts.items() if count > 1}
    return {run: f"{label} ({run.name})" if label in repeated - {run.name} else label for run, label in labels.items()}


def read_curves(metrics_csv: Path) -> dict[str, list[tuple[int, float]]]:
    """Every column of a Lightning CSV log -> [(epoch, value)] in logged order; a row without an epoch (e.g. a
    learning rate logged at a step) belongs to the epoch of the row before it (0 at the start)."""
    curves: dict[str, list[tuple[int, float]]] = {}
    epoch = 0
    with open(metrics_csv, newline="") as file:
        for row in csv.DictReader(file):
            if row.get("epoch"):
                epoch = int(float(row["epoch"]))
            for key, value in row.items():
                if key in ("epoch", "step") or value in (None, ""):
                    continue
                curves.setdefault(key, []).append((epoch, float(value)))
    return curves


def summarize(curves: dict[str, dict[str, list[tuple[int, float]]]], metrics: Sequence[str]) -> dict[str, Any]:
    """Per run and metric: ``last``, ``best`` (the maximum of accuracies, else the minimum) and ``points``."""
    summary: dict[str, Any] = {}
    for label, run in curves.items():
        best = {name: max if name.endswith("acc") else min for name in metrics}
        summary[label] = {
            name: {"last": run[name][-1][1], "best": best[name](v for _, v in run[name]), "points": len(run[name])}
            for name in metrics
            if run.get(name)
        }
    return summary


def plot_curves(curves: dict[str, dict[str, list[tuple[int, float]]]], metrics: Sequence[str], output: Path) -> Path:
    """One panel per metric (against epoch), one line per run, a shared y axis for one kind of metric; a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    same_unit = len({name.rsplit("/", 1)[-1] for name in metrics}) == 1  # e.g. train/bpd and val/bpd
    fig, axes = plt.subplots(1, len(metrics), figsize=(5 * len(metrics), 4), sharey=same_unit, squeeze=False)
    for ax, name in zip(axes[0], metrics, strict=True):
        for label, run in curves.items():
            points = run.get(name)
            if points:
                ax.plot([e for e, _ in points], [v for _, v in points], marker="o", label=label)
        ax.set_title(name)
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
    if all(name.endswith("bpd") for name in metrics):
        axes[0][0].set_ylabel("bits/dim")
    axes[0][-1].legend(fontsize="small")
    fig.tight_layout()
    output.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(output, dpi=100)
    plt.close(fig)
    return output


def default_output(folders: Sequence[str | Path]) -> Path:
    """Into the one folder given (a run or a multirun), else a new ``outputs/compare/<date>/`` folder."""
    if len(folders) == 1:
        return Path(folders[0]) / "compare.png"
    return Path("outputs") / "compare" / time.strftime("%Y-%m-%d_%H-%M-%S") / "compare.png"


def compare(
    folders: Sequence[str | Path], metrics: Sequence[str] = DEFAULT_METRICS, output: str | Path | None = None
) -> dict[str, Any]:
    """Plot ``metrics`` of every run into ``output`` (default: ``default_output``); returns {"output", "runs":
    summary} (also with test/bpd)."""
    curves = {label: read_curves(path) for label, path in find_logs(folders).items()}
    for name in metrics:
        if not any(run.get(name) for run in curves.values()):
            known = sorted({key for run in curves.values() for key in run})
            raise CompareError(f"no run logged {name}; logged metrics: {', '.join(known)}")
    path = plot_curves(curves, metrics, Path(output) if output else default_output(folders))
    extra = [name for name in ("test/bpd",) if name not in metrics]
    runs = summarize(curves, [*metrics, *extra])
    return {"output": str(path.resolve()), "runs": runs}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pixelcnn.analysis.compare", description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", help="training run folders or multirun folders")
    parser.add_argument("--metrics", nargs="+", default=list(DEFAULT_METRICS), help="any CSV columns to plot")
    parser.add_argument(
        "--output", default=None, help="PNG to write (default: <folder>/compare.png, or outputs/compare/<date>/)"
    )
    args = parser.parse_args(argv)
    try:
        report = compare(args.runs, args.metrics, args.output)
    except PixelCNNError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
