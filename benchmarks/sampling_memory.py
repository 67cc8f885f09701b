"""Peak memory of ``model.sample(n, cond, batch_size=...)`` for each kind of conditioning and each n.

    python benchmarks/sampling_memory.py [--kinds none,class,vector,spatial] [--sizes 2000,200000]
        [--batch-size 256] [--shape 1x8x8] [--layers 8 --hidden 32] [--all-chunks]

Each (kind, n) runs in a fresh process forked from this one after its imports (a process's peak resident set only
grows; a forked child's starts at its parent's current one), which builds the model and then samples. By default
it stops when the first chunk has been drawn: what ``sample`` allocates before and during the first chunk (the
output images, the first chunk's noise and biases) is all there is to measure, and sampling 200 000 images on a
CPU would take long. ``--all-chunks`` samples every image. ``extra_mb``: the peak resident set
during ``sample`` minus the one before it. Memory bounded by the batch size: ``extra_mb`` of a conditional kind
grows with n like the unconditional model's (only the (n,C,H,W) output grows with n).
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource

import torch
from bench_utils import add_common_args, backbone_config, emit, machine, setup

import pixelcnn.sampling.batched as batched
from pixelcnn.models import (
    ClassConditionalPixelCNN,
    EmbeddingConditionalPixelCNN,
    PixelCNN,
    SpatialConditionalPixelCNN,
)

COND_DIM = 16
NUM_CLASSES = 10


class FirstChunkDone(Exception):
    """Raised after the first chunk, to stop sampling there."""


def build(kind: str, shape: tuple[int, int, int], backbone: dict) -> tuple[torch.nn.Module, object]:
    """(model, a function n -> its cond) for one kind of conditioning."""
    if kind == "none":
        return PixelCNN(shape, 256, backbone=backbone), lambda n: None
    if kind == "class":
        model = ClassConditionalPixelCNN(shape, 256, backbone=backbone, num_classes=NUM_CLASSES)
        return model, lambda n: torch.arange(n) % NUM_CLASSES
    kinds = {"vector": EmbeddingConditionalPixelCNN, "spatial": SpatialConditionalPixelCNN}
    return kinds[kind](shape, 256, backbone=backbone, cond_dim=COND_DIM), lambda n: torch.randn(n, COND_DIM)


def max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(args: argparse.Namespace, kind: str, n: int) -> dict:
    """One (kind, n) in this process."""
    args = argparse.Namespace(**{**vars(args), "kind": kind, "n": n})
    device = setup(args)
    shape = tuple(int(v) for v in args.shape.split("x"))
    model, make_cond = build(args.kind, shape, backbone_config("conf/model/gated.yaml", args))
    model.to(device)
    cond = make_cond(args.n)
    before = max_rss_mb()
    if not args.all_chunks:
        real = batched.sample_cached

        def first_only(*a, **kw):
            real(*a, **kw)
            raise FirstChunkDone

        batched.sample_cached = first_only
    try:
        model.sample(args.n, cond, batch_size=args.batch_size)
    except FirstChunkDone:
        pass
    after = max_rss_mb()
    return {"kind": args.kind, "n": args.n, "before_mb": round(before, 1), "extra_mb": round(after - before, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_args(parser)
    parser.add_argument("--kinds", default="none,class,vector,spatial")
    parser.add_argument("--sizes", default="2000,200000")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--shape", default="1x8x8")
    parser.add_argument("--all-chunks", action="store_true")
    args = parser.parse_args()
    runs = []
    fork = multiprocessing.get_context("fork")  # before this process runs any torch op (no thread pool to copy)
    for kind in args.kinds.split(","):
        for n in (int(v) for v in args.sizes.split(",")):
            with fork.Pool(1) as child:
                runs.append(child.apply(measure, (args, kind, n)))
    config = {"batch_size": args.batch_size, "shape": args.shape, "all_chunks": args.all_chunks}
    emit({"benchmark": "sampling_memory", **config, "machine": machine(setup(args)), "runs": runs})


if __name__ == "__main__":
    main()
