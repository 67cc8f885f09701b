"""Seconds per image of naive and cached sampling with one backbone config, and the speed-up.

    python benchmarks/sampling.py [--device cuda] [--shapes 1x8x8,3x32x32,3x64x64] [--batch-sizes 1,16]

Naive sampling at 64x64x3 takes hours on a CPU. Its cost per sub-pixel does not depend on the position (every
sub-pixel is one full forward pass), so ``--naive-sub-pixels N`` times the first N sub-pixels only and
extrapolates to the whole image; such entries say ``"naive_extrapolated": true``. The cached images are compared
with the naive ones on every sub-pixel naive sampling drew (``identical`` over ``compared_sub_pixels``).
"""

from __future__ import annotations

import argparse
import math
import sys

import torch
from bench_utils import add_common_args, backbone_config, emit, machine, setup, timed

from pixelcnn.nn import GatedPixelCNN
from pixelcnn.sampling import SamplingStats, draw_uniforms, sample_cached, sample_naive


def parse_shape(text: str) -> tuple[int, int, int]:
    channels, height, width = (int(v) for v in text.lower().split("x"))
    return channels, height, width


def measure(
    backbone: GatedPixelCNN, shape: tuple[int, int, int], batch: int, naive_limit: int, device: torch.device
) -> dict:
    uniforms = draw_uniforms(batch, shape, seed=0)
    stats = SamplingStats()
    cached, cached_s = timed(
        lambda: sample_cached(backbone, batch, shape, 0, device=device, uniforms=uniforms, stats=stats), device
    )
    sub_pixels = math.prod(shape)
    measured = min(sub_pixels, naive_limit) if naive_limit > 0 else sub_pixels
    naive, naive_s = timed(
        lambda: sample_naive(lambda x: backbone(x), batch, shape, 0, device, uniforms=uniforms, stop_after=measured),
        device,
    )
    naive_total = naive_s * sub_pixels / measured
    drawn = torch.zeros(sub_pixels, dtype=torch.bool)
    drawn[:measured] = True
    # Raster order with channels innermost is (H, W, C) order: the first `measured` of those were drawn.
    drawn = drawn.view(shape[1], shape[2], shape[0]).permute(2, 0, 1)
    identical = bool(torch.equal(cached[:, drawn.to(device)], naive[:, drawn.to(device)]))
    return {
        "image_shape": list(shape),
        "batch_size": batch,
        "cached_s_per_image": cached_s / batch,
        "naive_s_per_image": naive_total / batch,
        "naive_extrapolated": measured < sub_pixels,
        "naive_sub_pixels_measured": measured,
        "speedup": naive_total / cached_s,
        "identical": identical,
        "compared_sub_pixels": measured,
        "cached_full_passes": stats.full_passes,
        "cached_max_cdf_error": stats.max_cdf_error,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_args(parser)
    parser.add_argument(
        "--model-config",
        default="conf/model/gated.yaml",
        help="conf/model, conf/model/backbone or conf/experiment YAML",
    )
    parser.add_argument("--shapes", default="1x8x8,3x32x32,3x64x64", help="CxHxW list")
    parser.add_argument("--batch-sizes", default="1,16")
    parser.add_argument("--levels", type=int, default=256, help="K, levels per sub-pixel")
    parser.add_argument(
        "--naive-sub-pixels", type=int, default=96, help="time naive sampling on at most this many sub-pixels (0: all)"
    )
    parser.add_argument("--seed", type=int, default=0, help="weight initialisation")
    args = parser.parse_args()
    device = setup(args)
    config = backbone_config(args.model_config, args)
    results = []
    for text in args.shapes.split(","):
        shape = parse_shape(text)
        torch.manual_seed(args.seed)
        backbone = GatedPixelCNN(shape[0], args.levels, **config).to(device).eval()
        for batch in (int(b) for b in args.batch_sizes.split(",")):
            results.append(measure(backbone, shape, batch, args.naive_sub_pixels, device))
            row = results[-1]
            print(f"{text} batch {batch}: speed-up {row['speedup']:.1f}", file=sys.stderr, flush=True)
    emit(
        {
            "benchmark": "sampling",
            **machine(device),
            "backbone": config,
            "num_levels": args.levels,
            "weights": "random init (same config for every shape; image channels differ)",
            "results": results,
        }
    )


if __name__ == "__main__":
    main()
