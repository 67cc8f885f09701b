"""Training throughput of the CIFAR-10 experiment's architecture: images/s, peak memory, achieved FLOP/s.

    python benchmarks/training.py [--device cuda] [--batch-size 64] [--precision bf16-mixed] [--compile]

One training step is forward, backward and an Adam update of ``PixelCNN`` on random 32x32x3 images with 256
levels (data loading is not timed). Its FLOPs are counted once with ``torch.utils.flop_counter.FlopCounterMode``
(matmuls and convs, forward and backward); achieved FLOP/s over the FLOP/s of a plain square matmul measured in
the same run, in the same dtype, says how close the step gets to what this machine does at best. The steps and the
reference are timed in ``--rounds`` interleaved rounds and ``fraction_of_matmul`` takes the best round of each, so
a busy machine slows both alike and the fraction means what it says. ``mfu`` is achieved FLOP/s over the device's
peak in that dtype as Lightning's ``ThroughputMonitor`` knows it (``get_available_flops``; None where unknown).
"""

from __future__ import annotations

import argparse
import math
from contextlib import nullcontext

import torch
from bench_utils import add_common_args, backbone_config, emit, machine, peak_memory, setup, timed
from lightning_fabric.utilities.throughput import get_available_flops
from torch.utils.flop_counter import FlopCounterMode

from pixelcnn.models import PixelCNN

PRECISIONS = {"32": torch.float32, "bf16-mixed": torch.bfloat16, "16-mixed": torch.float16}


def autocast(device: torch.device, precision: str):
    if precision == "32":
        return nullcontext()
    return torch.autocast(device.type, dtype=PRECISIONS[precision])


def matmul_timer(device: torch.device, dtype: torch.dtype, size: int, repeats: int):
    """A function that times ``repeats`` products ``a @ b`` of square (size, size) ``dtype`` matrices -> FLOP/s."""
    a = torch.randn(size, size, device=device, dtype=dtype)
    b = torch.randn(size, size, device=device, dtype=dtype)
    for _ in range(2):
        a @ b

    def flops_per_s() -> float:
        _, seconds = timed(lambda: [a @ b for _ in range(repeats)], device)
        return 2 * size**3 * repeats / seconds

    return flops_per_s


def peak_flops(device: torch.device, dtype: torch.dtype) -> float | None:
    """The device's peak FLOP/s in ``dtype`` as Lightning knows it (CUDA / TPU), None where it does not."""
    if device.type != "cuda":
        return None
    return get_available_flops(device, dtype)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_args(parser)
    parser.add_argument(
        "--experiment",
        default="conf/experiment/cifar10.yaml",
        help="conf/experiment, conf/model or conf/model/backbone YAML",
    )
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--image-size", type=int, default=32, help="H = W of the random images")
    parser.add_argument("--precision", choices=sorted(PRECISIONS), default="32")
    parser.add_argument("--compile", action="store_true", help="torch.compile the backbone")
    parser.add_argument("--steps", type=int, default=10, help="timed steps")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps first (compilation, autotuning)")
    parser.add_argument("--matmul-size", type=int, default=None, help="reference matmul size (default by device)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of --steps steps and the matmul")
    args = parser.parse_args()
    device = setup(args)
    config = backbone_config(args.experiment, args)
    shape = (3, args.image_size, args.image_size)
    torch.manual_seed(0)
    model = PixelCNN(shape, 256, backbone=config, optimizer={"lr": 1e-4}).to(device).train()
    optimizer = model.configure_optimizers()  # the model's own optimizer (Adam; no scheduler given)
    x = torch.randint(0, 256, (args.batch_size, *shape), device=device)
    dims = math.prod(shape)

    def loss_of(backbone: torch.nn.Module) -> torch.Tensor:
        with autocast(device, args.precision):
            logits = backbone(x)
        nll = torch.nn.functional.cross_entropy(logits.float(), x, reduction="none").flatten(1).sum(1)
        return nll.mean() / (dims * math.log(2.0))

    backbone = torch.compile(model.backbone) if args.compile else model.backbone
    scaler = torch.amp.GradScaler(device.type, enabled=args.precision == "16-mixed")

    def step() -> torch.Tensor:
        optimizer.zero_grad(set_to_none=True)
        loss = loss_of(backbone)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        return loss.detach()

    with FlopCounterMode(display=False) as counter:
        loss_of(model.backbone).backward()  # the eager module: compilation does not change the FLOPs
    step_flops = counter.get_total_flops()
    for _ in range(args.warmup):
        step()
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    dtype = PRECISIONS[args.precision]
    matmul_size = args.matmul_size or (8192 if device.type == "cuda" else 1024)
    matmul = matmul_timer(device, dtype, matmul_size, repeats=20 if device.type == "cuda" else 3)
    rounds, references = [], []
    for _ in range(max(1, args.rounds)):
        losses, seconds = timed(lambda: [step() for _ in range(args.steps)], device)
        rounds.append(seconds / args.steps)
        references.append(matmul())
    step_s = sum(rounds) / len(rounds)
    reference = max(references)
    achieved = step_flops / step_s
    peak = peak_flops(device, dtype)
    emit(
        {
            "benchmark": "training",
            **machine(device),
            "backbone": config,
            "image_shape": list(shape),
            "batch_size": args.batch_size,
            "precision": args.precision,
            "compile": args.compile,
            "steps": args.steps,
            "rounds": len(rounds),
            "images_per_s": args.batch_size / step_s,
            "step_s": step_s,
            "best_step_s": min(rounds),
            **peak_memory(device),
            "step_flops": step_flops,
            "achieved_flops_per_s": achieved,
            "matmul_flops_per_s": reference,
            "matmul": f"{matmul_size}x{matmul_size} {str(dtype).removeprefix('torch.')}",
            "fraction_of_matmul": step_flops / min(rounds) / reference,
            "peak_flops_per_s": peak,
            "mfu": None if peak is None else achieved / peak,
            "final_loss": float(losses[-1]),
            "tf32_matmul": torch.backends.cuda.matmul.allow_tf32,
            "tf32_cudnn": torch.backends.cudnn.allow_tf32,
        }
    )


if __name__ == "__main__":
    main()
