"""Seconds per image of naive and cached sampling with one backbone config, the speed-up, and the scaling targets.

    python benchmarks/sampling.py [--device cuda] [--shapes 1x8x8,3x32x32,3x64x64] [--batch-sizes 1,16]
        [--scale-shape 1x8x8 --scale-levels 17 --scale-sizes 64,4096] [--capture auto|true|false]

Naive sampling at 64x64x3 takes hours on a CPU. Its cost per sub-pixel does not depend on the position (every
sub-pixel is one full forward pass), so ``--naive-sub-pixels N`` times the first N sub-pixels only and
extrapolates to the whole image; such entries say ``"naive_extrapolated": true``. The cached images are compared
with the naive ones on every sub-pixel naive sampling drew (``identical`` over ``compared_sub_pixels``).

``targets`` checks, in the same run: per-image time at the largest batch over batch 1 for every shape
(``batch_ratio``; the target for 3x32x32 is <= 1/3), and per-image time of cached sampling of n images at once
for each of ``--scale-sizes`` (digits shape by default), whose ratio to the smallest n must stay <= 1; the first
``--scale-compare`` images of every n are compared with naive sampling of those images alone.

``heads`` times cached sampling of ``--head-sizes`` images of ``--head-shape`` with each of ``--heads`` (YAMLs of
conf/model/head) on the same backbone, side by side: ``ratio_to_first`` is each head's time over the first head's
(the target for the logistic mixture over the softmax is <= 1.3). The first ``--head-compare`` images of each run
are checked against naive sampling of those images alone, on their first ``--naive-sub-pixels`` sub-pixels.

``--clock`` picks the time the ratios compare: ``cpu`` (this process's CPU seconds, fair on a machine shared with
other jobs), ``wall``, or ``auto`` (CPU seconds on a CPU, wall on a GPU).

``--capture`` (``sampling.capture``): cached sampling on the static buffers of a ``StepRunner``, whose per-sub-pixel
step is replayed as CUDA graphs on a GPU (captured in an untimed one-row warm-up, ``capture_s``); ``auto``: on CUDA
only. On a CPU ``true`` runs the same buffers eagerly.
"""

from __future__ import annotations

import argparse
import functools
import math
import sys

import torch
from bench_utils import CONF, add_common_args, backbone_config, emit, machine, setup, timed, timed_cpu
from hydra.utils import instantiate
from omegaconf import OmegaConf
from sampling_parts import fallbacks_counted, naive_prefix

from pixelcnn.nn import GatedPixelCNN
from pixelcnn.sampling import draw_uniforms, sample_cached, sample_naive
from pixelcnn.sampling.captured import static_runner, use_capture

BATCH_TARGET = {(3, 32, 32): 1 / 3}  # per-image time at the largest batch over batch 1, at most


def parse_shape(text: str) -> tuple[int, int, int]:
    channels, height, width = (int(v) for v in text.lower().split("x"))
    return channels, height, width


def warm_up(backbone: GatedPixelCNN, shape: tuple[int, int, int], device: torch.device) -> None:
    """One untimed cached sampling of two rows, so first-call costs (allocations, kernels) are not timed."""
    sample_cached(backbone, 2, (shape[0], min(2, shape[1]), shape[2]), 0, device=device)


def cached_sampler(
    backbone: GatedPixelCNN, batch: int, shape: tuple[int, int, int], capture: bool | str, device
) -> tuple:
    """(``sample_cached`` of ``batch`` images taking ``uniforms``, seconds spent capturing): on a
    ``StepRunner`` when ``capture`` says so, its graphs captured by an untimed one-row run first."""
    runner, seconds = None, 0.0
    if use_capture(capture, device):
        runner = static_runner(backbone, batch, shape, None)
        _, seconds = timed(
            lambda: sample_cached(backbone, batch, (shape[0], 1, shape[2]), 0, None, device, runner=runner), device
        )
    return functools.partial(sample_cached, backbone, batch, shape, 0, device=device, runner=runner), seconds


def measure(
    backbone: GatedPixelCNN, shape: tuple[int, int, int], batch: int, naive_limit: int, device, capture: bool | str
) -> dict:
    uniforms = draw_uniforms(batch, shape, seed=0)
    sampler, capture_s = cached_sampler(backbone, batch, shape, capture, device)
    with fallbacks_counted() as stats:
        cached, cached_s, cached_cpu = timed_cpu(lambda: sampler(uniforms=uniforms), device)
    sub_pixels = math.prod(shape)
    measured = min(sub_pixels, naive_limit) if naive_limit > 0 else sub_pixels
    naive, naive_s = naive_prefix(lambda x: backbone(x), shape, uniforms, measured, device)
    naive_total = naive_s * sub_pixels / measured
    drawn = prefix_mask(shape, measured)
    identical = bool(torch.equal(cached[:, drawn.to(device)], naive[:, drawn.to(device)]))
    return {
        "image_shape": list(shape),
        "batch_size": batch,
        "cached_s_per_image": cached_s / batch,
        "cached_cpu_s_per_image": cached_cpu / batch,
        "capture_s": capture_s,
        "naive_s_per_image": naive_total / batch,
        "naive_extrapolated": measured < sub_pixels,
        "naive_sub_pixels_measured": measured,
        "speedup": naive_total / cached_s,
        "identical": identical,
        "compared_sub_pixels": measured,
        "cached_recomputed": stats["recomputed"],
        "cached_max_cdf_error": stats["max_cdf_error"],
    }


def scaling(
    backbone: GatedPixelCNN, shape: tuple[int, int, int], sizes: list[int], compare: int, device, capture: bool | str
) -> dict:
    """Per-image time of cached sampling of n images at once, for each n; image 0..compare-1 checked against naive
    sampling of those images alone (the same images whatever n is)."""
    warm_up(backbone, shape, device)
    naive = sample_naive(lambda x: backbone(x), compare, shape, 0, device, uniforms=draw_uniforms(compare, shape, 0))
    rows = []
    for n in sizes:
        uniforms = draw_uniforms(n, shape, seed=0)
        sampler, _ = cached_sampler(backbone, n, shape, capture, device)
        with fallbacks_counted() as stats:
            images, seconds, cpu = timed_cpu(lambda f=sampler, u=uniforms: f(uniforms=u), device)
        identical = bool(torch.equal(images[:compare], naive[:n]))
        rows.append(
            {
                "n": n,
                "cached_s_per_image": seconds / n,
                "cached_cpu_s_per_image": cpu / n,
                "identical_first": identical,
                "recomputed": stats["recomputed"],
            }
        )
    key = clock(device)
    for row in rows:
        row["ratio_to_smallest_n"] = row[key] / rows[0][key]
    return {"image_shape": list(shape), "compared_images": compare, "results": rows}


CLOCK = "auto"  # --clock


def clock(device: torch.device) -> str:
    """The time the targets compare: ``--clock``; auto: CPU seconds on a CPU (fair on a machine shared with other
    jobs), else wall."""
    cpu = CLOCK == "cpu" or (CLOCK == "auto" and device.type == "cpu")
    return "cached_cpu_s_per_image" if cpu else "cached_s_per_image"


def compare_heads(config: dict, args: argparse.Namespace, device: torch.device, shape: tuple[int, int, int]) -> dict:
    """Cached sampling of each of ``--head-sizes`` images with each head on the same backbone: seconds per image,
    the ratio to the first head's, fallbacks, and the first images checked against naive sampling of them alone."""
    rows = []
    for name in args.heads.split(","):
        head = instantiate(OmegaConf.load(CONF / "model" / "head" / f"{name}.yaml"))
        torch.manual_seed(args.seed)
        backbone = GatedPixelCNN(shape[0], args.levels, head=head, **config).to(device).eval()
        warm_up(backbone, shape, device)
        for n in (int(v) for v in args.head_sizes.split(",")):
            uniforms = draw_uniforms(n, shape, seed=0)
            sampler, _ = cached_sampler(backbone, n, shape, args.capture, device)
            with fallbacks_counted() as stats:
                images, seconds, cpu = timed_cpu(lambda f=sampler, u=uniforms: f(uniforms=u), device)
            m = min(n, args.head_compare)
            limit = min(math.prod(shape), args.naive_sub_pixels) if args.naive_sub_pixels > 0 else math.prod(shape)
            naive, _ = naive_prefix(backbone, shape, uniforms[:m], limit, device)
            drawn = prefix_mask(shape, limit).to(device)
            rows.append(
                {
                    "head": name,
                    "n": n,
                    "cached_s_per_image": seconds / n,
                    "cached_cpu_s_per_image": cpu / n,
                    "recomputed": stats["recomputed"],
                    "max_cdf_error": stats["max_cdf_error"],
                    "identical_first": bool(torch.equal(images[:m][:, drawn], naive[:, drawn])),
                }
            )
            print(f"head {name} n={n}: {rows[-1][clock(device)]:.4f} s/image", file=sys.stderr, flush=True)
    first = args.heads.split(",")[0]
    for row in rows:
        base = next(r for r in rows if r["head"] == first and r["n"] == row["n"])
        row["ratio_to_first"] = row[clock(device)] / base[clock(device)]
    worst = max(r["ratio_to_first"] for r in rows)
    return {
        "image_shape": list(shape),
        "heads": args.heads.split(","),
        "compared": clock(device),
        "compared_images": args.head_compare,
        "compared_sub_pixels": args.naive_sub_pixels,
        "results": rows,
        "worst_ratio_to_first": worst,
        "target": "<= 1.3",
        "met": worst <= 1.3,
    }


def prefix_mask(shape: tuple[int, int, int], measured: int) -> torch.Tensor:
    """(C,H,W) bool: the first ``measured`` sub-pixels in raster order with channels innermost, (H, W, C) order."""
    drawn = torch.zeros(math.prod(shape), dtype=torch.bool)
    drawn[:measured] = True
    return drawn.view(shape[1], shape[2], shape[0]).permute(2, 0, 1)


def targets(results: list[dict], scale: dict | None, device: torch.device) -> dict:
    """The issue's targets, checked on this run's numbers (ratios of ``clock(device)`` times)."""
    key = clock(device)
    out: dict = {"identical_to_naive": all(r["identical"] for r in results), "compared": key}
    ratios = []
    for shape in {tuple(r["image_shape"]) for r in results}:
        rows = sorted((r for r in results if tuple(r["image_shape"]) == shape), key=lambda r: r["batch_size"])
        if len(rows) > 1 and rows[0]["batch_size"] == 1:
            ratio = rows[-1][key] / rows[0][key]
            entry = {"image_shape": list(shape), "batch_size": rows[-1]["batch_size"], "batch_ratio": ratio}
            if shape in BATCH_TARGET:
                entry.update(target=f"<= {BATCH_TARGET[shape]:.3f}", met=ratio <= BATCH_TARGET[shape])
            ratios.append(entry)
    out["batch_ratios"] = sorted(ratios, key=lambda e: e["image_shape"])
    if scale is not None:
        worst = max(r["ratio_to_smallest_n"] for r in scale["results"][1:] or scale["results"])
        out["scale"] = {"worst_ratio_to_smallest_n": worst, "target": "<= 1", "met": worst <= 1.0}
        out["identical_to_naive"] = out["identical_to_naive"] and all(r["identical_first"] for r in scale["results"])
    return out


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
    parser.add_argument("--scale-shape", default="1x8x8", help="CxHxW of the scaling check (digits)")
    parser.add_argument("--scale-levels", type=int, default=17, help="K of the scaling check (digits: 17)")
    parser.add_argument("--scale-sizes", default="64,4096", help="n images sampled at once (empty: no check)")
    parser.add_argument("--scale-compare", type=int, default=4, help="images compared with naive sampling")
    parser.add_argument(
        "--capture", default="auto", type=lambda t: {"true": True, "false": False}.get(t, t),
        choices=["auto", True, False], help="static buffers, CUDA graphs on a GPU (auto: on CUDA)",
    )  # fmt: skip
    parser.add_argument("--heads", default="softmax,logistic_mixture", help="conf/model/head names (empty: none)")
    parser.add_argument("--head-shape", default="3x32x32", help="CxHxW of the head comparison")
    parser.add_argument("--head-sizes", default="16,256", help="images sampled at once per head")
    parser.add_argument("--head-compare", type=int, default=2, help="images per run compared with naive sampling")
    parser.add_argument("--clock", default="auto", choices=["auto", "cpu", "wall"], help="time the ratios compare")
    args = parser.parse_args()
    global CLOCK
    CLOCK = args.clock
    device = setup(args)
    config = backbone_config(args.model_config, args)
    results = []
    for text in filter(None, args.shapes.split(",")):
        shape = parse_shape(text)
        torch.manual_seed(args.seed)
        backbone = GatedPixelCNN(shape[0], args.levels, **config).to(device).eval()
        warm_up(backbone, shape, device)
        for batch in (int(b) for b in args.batch_sizes.split(",")):
            results.append(measure(backbone, shape, batch, args.naive_sub_pixels, device, args.capture))
            row = results[-1]
            print(f"{text} batch {batch}: speed-up {row['speedup']:.1f}", file=sys.stderr, flush=True)
    scale = None
    if args.scale_sizes:
        shape = parse_shape(args.scale_shape)
        torch.manual_seed(args.seed)
        backbone = GatedPixelCNN(shape[0], args.scale_levels, **config).to(device).eval()
        sizes = [int(n) for n in args.scale_sizes.split(",")]
        scale = scaling(backbone, shape, sizes, args.scale_compare, device, args.capture)
        print(f"scaling {args.scale_shape}: {[round(r['ratio_to_smallest_n'], 3) for r in scale['results']]}",
              file=sys.stderr, flush=True)  # fmt: skip
    heads = compare_heads(config, args, device, parse_shape(args.head_shape)) if args.heads else None
    checks = targets(results, scale, device)
    if heads is not None:
        checks["identical_to_naive"] = checks["identical_to_naive"] and all(
            r["identical_first"] for r in heads["results"]
        )
        checks["heads"] = {
            "worst_ratio_to_first": heads["worst_ratio_to_first"],
            "target": "<= 1.3",
            "met": heads["met"],
        }
    emit(
        {
            "benchmark": "sampling",
            **machine(device),
            "backbone": config,
            "num_levels": args.levels,
            "weights": "random init (same config for every shape; image channels differ)",
            "capture": args.capture,
            "static_buffers": use_capture(args.capture, device),
            "cuda_graphs": device.type == "cuda" and use_capture(args.capture, device),
            "results": results,
            "scaling": scale,
            "heads": heads,
            "targets": checks,
        }
    )


if __name__ == "__main__":
    main()
