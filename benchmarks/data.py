"""Is data loading ever the bottleneck? Loader images/s of the ImageNet 32/64 data modules against training images/s.

    python benchmarks/data.py [--resolutions 32,64] [--images 20000] [--num-workers 4] [--device cuda]

For each resolution, synthetic files of the official format (``train_data_batch_{1,2}.npz`` and ``val_data.npz``:
``data`` (N, 3*res*res) uint8 planar RGB, ``labels`` 1..1000) are written into a temporary folder and read by
``ImageNetDataModule`` exactly as real ones: converted once to a memory-mapped .npy cache (``convert_s``), then
the shuffled training loader is iterated (``--num-workers`` worker processes, default the data config's). Loader
images/s counts the batches after the first (the first, with worker start-up, is ``first_batch_s``); model
images/s is forward + backward + Adam of that resolution's experiment architecture (``conf/experiment/imagenet32``
and ``imagenet64``) at the same batch size. ``loader_over_model`` > 1: the loader keeps up.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from bench_utils import add_common_args, backbone_config, emit, machine, setup, timed

from pixelcnn.data import ImageNetDataModule
from pixelcnn.models import PixelCNN

BATCH_SIZES = {32: 64, 64: 32}  # conf/experiment/imagenet32.yaml, imagenet64.yaml
NUM_WORKERS = 4  # conf/data/imagenet32.yaml


def write_official_files(folder: Path, resolution: int, images: int, seed: int = 0) -> None:
    """``train_data_batch_1.npz``, ``train_data_batch_2.npz`` (``images`` in all) and ``val_data.npz`` in ``folder``."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    counts = {"train_data_batch_1.npz": images - images // 2, "train_data_batch_2.npz": images // 2}
    counts["val_data.npz"] = max(1, images // 10)
    for name, count in counts.items():
        data = rng.integers(0, 256, (count, 3 * resolution * resolution), dtype=np.uint8)
        np.savez(folder / name, data=data, labels=rng.integers(1, 1001, count))


def loader_speed(data: ImageNetDataModule, batches: int) -> dict[str, float]:
    """Seconds to the first batch, then images/s over ``batches`` more (epochs restart as needed)."""
    loader = data.train_dataloader()
    start, seen, first_s = time.perf_counter(), 0, None
    while first_s is None or seen < batches:
        for _batch in loader:
            if first_s is None:
                first_s, start = time.perf_counter() - start, time.perf_counter()
                continue
            seen += 1
            if seen == batches:
                break
    seconds = time.perf_counter() - start
    return {"first_batch_s": first_s, "loader_images_per_s": batches * data.batch_size / seconds}


def model_speed(config: dict, resolution: int, batch_size: int, steps: int, device: torch.device) -> float:
    """Training images/s (forward, backward, Adam) of ``PixelCNN`` with ``config`` on random images."""
    torch.manual_seed(0)
    shape = (3, resolution, resolution)
    model = PixelCNN(shape, 256, backbone=config, optimizer={"lr": 1e-4}).to(device).train()
    optimizer = model.configure_optimizers()
    x = torch.randint(0, 256, (batch_size, *shape), device=device)

    def step() -> None:
        optimizer.zero_grad(set_to_none=True)
        model.nll(x).mean().backward()
        optimizer.step()

    step()  # warm-up
    _, seconds = timed(lambda: [step() for _ in range(steps)], device)
    return batch_size * steps / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_args(parser)
    parser.add_argument("--resolutions", default="32,64", help="comma-separated: 32, 64")
    parser.add_argument("--images", type=int, default=20000, help="training images in the synthetic files")
    parser.add_argument("--batch-size", type=int, default=None, help="default: the experiment's (64 / 32)")
    parser.add_argument("--num-workers", type=int, default=NUM_WORKERS)
    parser.add_argument("--batches", type=int, default=100, help="timed loader batches")
    parser.add_argument("--steps", type=int, default=3, help="timed training steps")
    args = parser.parse_args()
    device = setup(args)
    results = []
    for resolution in (int(r) for r in args.resolutions.split(",")):
        batch_size = args.batch_size or BATCH_SIZES[resolution]
        with tempfile.TemporaryDirectory() as root:
            write_official_files(Path(root) / f"imagenet{resolution}", resolution, args.images)
            shape = [3, resolution, resolution]
            data = ImageNetDataModule(
                root, resolution, val_size=max(1, args.images // 20), image_shape=shape, num_levels=256,
                num_classes=1000, batch_size=batch_size, num_workers=args.num_workers,
            )  # fmt: skip
            start = time.perf_counter()
            data.setup()
            convert_s = time.perf_counter() - start
            loading = loader_speed(data, args.batches)
            train_images = len(data.datasets["train"])
        config = backbone_config(f"conf/experiment/imagenet{resolution}.yaml", args)
        model_images = model_speed(config, resolution, batch_size, args.steps, device)
        results.append(
            {
                "resolution": resolution,
                "batch_size": batch_size,
                "train_images": train_images,
                "convert_s": convert_s,
                **loading,
                "model_images_per_s": model_images,
                "loader_over_model": loading["loader_images_per_s"] / model_images,
            }
        )
    emit(
        {
            "benchmark": "data",
            **machine(device),
            "num_workers": args.num_workers,
            "batches": args.batches,
            "steps": args.steps,
            "results": results,
            "loader_keeps_up": all(r["loader_over_model"] > 1 for r in results),
        }
    )


if __name__ == "__main__":
    main()
