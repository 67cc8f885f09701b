"""Compare runs without W&B: bits/dim curves of several runs from their CSV logs, side by side in one PNG.

``python -m pixelcnn.analysis.compare RUN_DIR [RUN_DIR ...] [--metrics train/bpd val/bpd] [--output compare.png]``

A RUN_DIR is a training run folder (holding ``csv/metrics.csv``) or a multirun folder whose job folders hold
one each. Prints one JSON object: the PNG path and, per run and metric, the last and best value.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pixelcnn.errors import PixelCNNError

METRICS_CSV = Path("csv") / "metrics.csv"
DEFAULT_METRICS = ("train/bpd", "val/bpd")


class CompareError(PixelCNNError):
    """A folder given to ``pixelcnn.analysis.compare`` holds no CSV log, or a metric is in none of the logs."""


def find_logs(folders: Sequence[str | Path]) -> dict[str, Path]:
    """Run label -> its ``csv/metrics.csv``; a multirun folder contributes every job folder that has one."""
    logs: dict[str, Path] = {}
    for folder in map(Path, folders):
        if (folder / METRICS_CSV).is_file():
            found = [folder / METRICS_CSV]
        else:
            found = sorted(folder.glob(f"*/{METRICS_CSV}"))
        if not found:
            raise CompareError(
                f"{folder} holds no {METRICS_CSV} (nor do its subfolders); pass training run folders that were "
                "trained with the CSV logger (logger=csv, the default)"
            )
        for path in found:
            run = path.parent.parent
            label = run.name if run == folder else f"{folder.name}/{run.name}"
            while label in logs:
                label += "'"
            logs[label] = path
    return logs


def read_curves(metrics_csv: Path) -> dict[str, list[tuple[int, float]]]:
    """Every metric of a Lightning CSV log -> [(epoch, value)] in logged order; rows without an epoch skipped."""
    curves: dict[str, list[tuple[int, float]]] = {}
    with open(metrics_csv, newline="") as file:
        for row in csv.DictReader(file):
            if not row.get("epoch"):
                continue
            epoch = int(float(row["epoch"]))
            for key, value in row.items():
                if key in ("epoch", "step") or value in (None, ""):
                    continue
                curves.setdefault(key, []).append((epoch, float(value)))
    return curves


def summarize(curves: dict[str, dict[str, list[tuple[int, float]]]], metrics: Sequence[str]) -> dict[str, Any]:
    """Per run and metric: ``last``, ``best`` (the minimum: every metric here is bits/dim) and ``points``."""
    summary: dict[str, Any] = {}
    for label, run in curves.items():
        summary[label] = {
            name: {"last": run[name][-1][1], "best": min(v for _, v in run[name]), "points": len(run[name])}
            for name in metrics
            if run.get(name)
        }
    return summary


def plot_curves(curves: dict[str, dict[str, list[tuple[int, float]]]], metrics: Sequence[str], output: Path) -> Path:
    """One panel per metric (bits/dim against epoch), one line per run, shared y axis; saved as PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(metrics), figsize=(5 * len(metrics), 4), sharey=True, squeeze=False)
    for ax, name in zip(axes[0], metrics, strict=True):
        for label, run in curves.items():
            points = run.get(name)
            if points:
                ax.plot([e for e, _ in points], [v for _, v in points], marker="o", label=label)
        ax.set_title(name)
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("bits/dim")
    axes[0][-1].legend(fontsize="small")
    fig.tight_layout()
    output.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(output, dpi=100)
    plt.close(fig)
    return output


def compare(
    folders: Sequence[str | Path], metrics: Sequence[str] = DEFAULT_METRICS, output: str | Path = "compare.png"
) -> dict[str, Any]:
    """Plot ``metrics`` of every run into ``output``; returns {"output", "runs": summary} (also with test/bpd)."""
    curves = {label: read_curves(path) for label, path in find_logs(folders).items()}
    for name in metrics:
        if not any(run.get(name) for run in curves.values()):
            known = sorted({key for run in curves.values() for key in run})
            raise CompareError(f"no run logged {name}; logged metrics: {', '.join(known)}")
    path = plot_curves(curves, metrics, Path(output))
    extra = [name for name in ("test/bpd",) if name not in metrics]
    runs = summarize(curves, [*metrics, *extra])
    return {"output": str(path.resolve()), "runs": runs}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pixelcnn.analysis.compare", description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", help="training run folders or multirun folders")
    parser.add_argument("--metrics", nargs="+", default=list(DEFAULT_METRICS), help="CSV columns to plot")
    parser.add_argument("--output", default="compare.png", help="PNG to write (default: ./compare.png)")
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
