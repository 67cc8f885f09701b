"""The headline command, ``python train.py model=gated_cond data=imagenet64``, run for a few minutes as a user runs
it: images/s, FLOP/s and MFU of its training epochs (``TrainingThroughput``) and the peak GPU memory
(Lightning's ``DeviceStatsMonitor``), at the data set's batch size, on synthetic files of the official format.

    python benchmarks/headline.py [--device cuda] [--seconds 120] [--images 6400]

Only sizes that leave the network and its batch as they are change: the number of images, the batches per
validation and test, no figures or sample grids, and a time limit (``trainer.max_time``). The last finished
epoch's numbers are reported (the first includes cuDNN's warm-up).
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from bench_utils import REPO, add_common_args, emit, machine, pick_device

PEAK = "allocated_bytes.all.peak"


def write_official_npz(folder: Path, images: int, resolution: int) -> None:
    """``train_data_batch_1.npz`` and ``val_data.npz`` as image-net.org ships them: ``data`` (N, 3*R*R) uint8
    planar RGB, ``labels`` 1..1000."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for name, count in (("train_data_batch_1.npz", images), ("val_data.npz", max(images // 10, 64))):
        data = rng.integers(0, 256, (count, 3 * resolution * resolution), dtype=np.uint8)
        np.savez(folder / name, data=data, labels=rng.integers(1, 1001, count))


def read_metrics(path: Path) -> dict[str, float]:
    """The last logged value of each throughput column and the largest peak of allocated memory."""
    result: dict[str, float] = {}
    with open(path) as file:
        for row in csv.DictReader(file):
            for key, value in row.items():
                if not value:
                    continue
                if key.endswith(PEAK):
                    result["peak_memory_gib"] = max(result.get("peak_memory_gib", 0.0), float(value) / 2**30)
                elif key.startswith("train/") and key.split("/")[1] in ("images_per_sec", "flops_per_sec", "mfu"):
                    result[key.split("/")[1]] = float(value)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_args(parser)
    parser.add_argument("--seconds", type=int, default=120, help="trainer.max_time of the run")
    parser.add_argument("--images", type=int, default=6400, help="synthetic training images (an epoch)")
    parser.add_argument("--batch-size", type=int, default=None, help="default: the data set's (the paper run's)")
    parser.add_argument("--data", default="imagenet64")
    args = parser.parse_args()
    overrides = ["model=gated_cond", f"data={args.data}"]
    if args.device != "auto":
        overrides.append(f"trainer.accelerator={'gpu' if args.device.startswith('cuda') else 'cpu'}")
    if args.threads:
        overrides.append(f"trainer.threads={args.threads}")
    sizes = {"num_layers": args.layers, "hidden_channels": args.hidden, "skip_channels": args.hidden}
    sizes |= {"kernel_size": args.kernel, "first_kernel_size": args.kernel}  # --layers ...: tiny runs (tests)
    overrides += [f"model.backbone.{key}={value}" for key, value in sizes.items() if value]
    if args.batch_size:
        overrides.append(f"data.batch_size={args.batch_size}")
    resolution = int(args.data.removeprefix("imagenet"))
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        write_official_npz(root / "data" / args.data, args.images, resolution)
        overrides += [
            f"paths.data_dir={root / 'data'}",
            f"hydra.run.dir={root / 'run'}",
            f"data.val_size={max(args.images // 8, 2)}",
            "data.num_workers=4",
            f"trainer.max_time=00:00:{args.seconds // 60:02d}:{args.seconds % 60:02d}",
            "trainer.limit_val_batches=2",
            "trainer.limit_test_batches=2",
            "figures=none",
            "callbacks.sample_grid.num_samples=0",
            "~callbacks.rich_progress_bar",
            "+callbacks.device_stats._target_=pytorch_lightning.callbacks.DeviceStatsMonitor",
            "+callbacks.device_stats.cpu_stats=false",
        ]
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "train.py", *overrides], cwd=REPO, capture_output=True, text=True)
        wall = time.perf_counter() - start
        if done.returncode != 0:
            sys.exit(f"error: train.py failed:\n{done.stderr[-3000:]}")
        metrics = read_metrics(root / "run" / "csv" / "metrics.csv")
    command = "python train.py model=gated_cond data=" + args.data
    result = {"benchmark": "headline", "command": command, "overrides": overrides[2:], "wall_s": round(wall, 1)}
    emit({**result, **machine(pick_device(args.device)), **metrics})


if __name__ == "__main__":
    main()
