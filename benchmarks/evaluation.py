"""Images/s of bits/dim evaluation: ``model.nll`` under ``no_grad`` summed into ``BitsPerDim``.

    python benchmarks/evaluation.py [--device cuda] [--batch-size 256] [--precision bf16-mixed]

Random images of the given shape and levels (data loading is not timed); the model is ``PixelCNN`` with the
backbone of ``--model-config`` (default: the CIFAR-10 experiment's architecture).
"""

from __future__ import annotations

import argparse
import math
from contextlib import nullcontext

import torch
from bench_utils import add_common_args, backbone_config, emit, machine, peak_memory, setup, timed

from pixelcnn.metrics import BitsPerDim
from pixelcnn.models import PixelCNN

DTYPES = {"bf16-mixed": torch.bfloat16, "16-mixed": torch.float16}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_args(parser)
    parser.add_argument(
        "--model-config",
        default="conf/experiment/cifar10.yaml",
        help="conf/model, conf/model/backbone or conf/experiment YAML",
    )
    parser.add_argument("--image-shape", default="3x32x32", help="CxHxW")
    parser.add_argument("--levels", type=int, default=256)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--num-images", type=int, default=512, help="images evaluated in the timed run")
    parser.add_argument("--precision", choices=["32", *DTYPES], default="32")
    args = parser.parse_args()
    device = setup(args)
    config = backbone_config(args.model_config, args)
    shape = tuple(int(v) for v in args.image_shape.lower().split("x"))
    torch.manual_seed(0)
    model = PixelCNN(shape, args.levels, backbone=config).to(device).eval()
    generator = torch.Generator().manual_seed(1)
    batches = [
        torch.randint(0, args.levels, (min(args.batch_size, args.num_images - start), *shape), generator=generator)
        for start in range(0, args.num_images, args.batch_size)
    ]
    batches = [batch.to(device) for batch in batches]
    dims = math.prod(shape)

    @torch.no_grad()
    def evaluate() -> float:
        metric = BitsPerDim().to(device)
        context = torch.autocast(device.type, DTYPES[args.precision]) if args.precision in DTYPES else nullcontext()
        for batch in batches:
            with context:
                nll = model.nll(batch)
            metric.update(nll, dims)
        return float(metric.compute())

    with torch.no_grad():
        model.nll(batches[0])  # warm-up: first-call allocations and kernel choices
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    bpd, seconds = timed(evaluate, device)
    emit(
        {
            "benchmark": "evaluation",
            **machine(device),
            "backbone": config,
            "image_shape": list(shape),
            "num_levels": args.levels,
            "batch_size": args.batch_size,
            "precision": args.precision,
            "num_images": args.num_images,
            "images_per_s": args.num_images / seconds,
            "seconds": seconds,
            "bpd": bpd,
            **peak_memory(device),
        }
    )


if __name__ == "__main__":
    main()
