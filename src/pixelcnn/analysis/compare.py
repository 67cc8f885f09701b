"""Compare runs without W&B: bits/dim curves of several runs from their CSV logs, side by side in one PNG.

``python -m pixelcnn.analysis.compare RUN_DIR [RUN_DIR ...] [--metrics train/bpd val/bpd] [--output PNG]``

A RUN_DIR is a training run folder (holding ``csv/metrics.csv``, written with every logger) or a multirun folder
whose job folders hold one each; a multirun's curves are labelled by the overrides that differ between its jobs.
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
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pixelcnn.errors import PixelCNNError

METRICS_CSV = Path("csv") / "metrics.csv"
DEFAULT_METRICS = ("train/bpd", "val/bpd")


class CompareError(PixelCNNError):
    """A folder given to ``pixelcnn.analysis.compare`` holds no CSV log, or a metric is in none of the logs."""


def find_logs(folders: Sequence[str | Path]) -> dict[str, Path]:
    """Run label -> its ``csv/metrics.csv``; a multirun folder contributes every job folder that has one, labelled
    ``<multirun>/<overrides that differ between its jobs>``."""
    logs: dict[str, Path] = {}
    for folder in map(Path, folders):
        if (folder / METRICS_CSV).is_file():
            found = [folder / METRICS_CSV]
        else:
            found = sorted(folder.glob(f"*/{METRICS_CSV}"), key=lambda p: job_order(p.parent.parent.name))
        if not found:
            raise CompareError(
                f"{folder} holds no {METRICS_CSV} (nor do its subfolders); pass training run folders (every logger "
                "choice writes the CSV log) or multirun folders"
            )
        jobs = job_labels([path.parent.parent for path in found])
        for path in found:
            run = path.parent.parent
            label = run.name if run == folder else f"{folder.name}/{jobs[run]}"
            while label in logs:
                label += "'"
            logs[label] = path
    return logs


def job_order(name: str) -> tuple[int, str]:
    return (int(name), "") if name.isdigit() else (sys.maxsize, name)


def job_labels(runs: Sequence[Path]) -> dict[Path, str]:
    """Each job's Hydra overrides (``.hydra/overrides.yaml``) that not every job shares; the folder name without."""
    from omegaconf import OmegaConf

    overrides = {}
    for run in runs:
        file = run / ".hydra" / "overrides.yaml"
        overrides[run] = list(OmegaConf.load(file)) if file.is_file() else []
    shared = set.intersection(*(set(o) for o in overrides.values())) if overrides else set()
    labels = {}
    for run, items in overrides.items():
        differing = [item for item in items if item not in shared and not item.startswith("hydra")]
        labels[run] = " ".join(differing) or run.name
    return labels


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
