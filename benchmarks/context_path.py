"""What the multi-scale context path costs: training step and cached sampling time against the same backbone without.

    python benchmarks/context_path.py [--threads 1] [--batch-size 16] [--samples 8] [--rounds 3]

Each variant is the `default` backbone (model/backbone=default, --layers / --hidden / --kernel on top) with the
context settings shown, on random 3x32x32 images (--image-size) with 256 levels and the softmax head. Training
steps (forward, backward, Adam) are timed in ``--rounds`` interleaved rounds, best round kept; ``step_ratio`` is
over the variant without the path, from the same run. Sampling draws ``--samples`` images with cached sampling
(the path's 1x1 given small random weights, as a trained one has). Prints one JSON line with parameters, counted
FLOPs per step and the times.
"""

from __future__ import annotations

import argparse
import time

import torch
from bench_utils import add_common_args, backbone_config, emit, machine, setup

from pixelcnn.models import PixelCNN

VARIANTS = {
    "off": {},
    "scales2_every1": {"context_scales": 2},
    "scales2_every4 (multiscale)": {"context_scales": 2, "context_every": 4},
    "scales2_every8": {"context_scales": 2, "context_every": 8},
    "scales3_every4": {"context_scales": 3, "context_every": 4},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_args(parser)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--image-size", type=int, default=32, help="H = W of the random images")
    parser.add_argument("--samples", type=int, default=8, help="images drawn per variant (0: no sampling)")
    parser.add_argument("--steps", type=int, default=4, help="timed steps per round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    device = setup(args)
    shape = (3, args.image_size, args.image_size)
    backbone = backbone_config("conf/model/backbone/default.yaml", args)
    x = torch.randint(0, 256, (args.batch_size, *shape), generator=torch.Generator().manual_seed(0)).to(device)
    models, steps = {}, {}
    for name, context in VARIANTS.items():
        torch.manual_seed(0)
        model = PixelCNN(shape, 256, backbone={**backbone, **context}).to(device).train()
        optimizer = torch.optim.Adam(model.parameters(), 2e-3)

        def step(model=model, optimizer=optimizer) -> None:
            optimizer.zero_grad(set_to_none=True)
            model.nll(x).mean().backward()
            optimizer.step()

        step()
        models[name], steps[name] = model, step
    seconds: dict[str, list[float]] = {name: [] for name in VARIANTS}
    for _ in range(args.rounds):
        for name, step in steps.items():
            start = time.perf_counter()
            for _ in range(args.steps):
                step()
            seconds[name].append((time.perf_counter() - start) / args.steps)
    results = {}
    for name, model in models.items():
        result = {
            "parameters": sum(p.numel() for p in model.parameters()),
            "step_flops": model.count_flops((x,)),
            "best_step_s": min(seconds[name]),
            "step_ratio": min(seconds[name]) / min(seconds["off"]),
        }
        if args.samples:
            context = model.backbone.context
            if context is not None:
                with torch.no_grad():
                    context.to_biases.weight.normal_(0.0, 0.05)
            start = time.perf_counter()
            model.sample(args.samples, seed=0)
            result["sample_s"] = time.perf_counter() - start
        results[name] = result
    if args.samples:
        for result in results.values():
            result["sample_ratio"] = result["sample_s"] / results["off"]["sample_s"]
    emit(
        {
            "benchmark": "context_path",
            **machine(device),
            "backbone": backbone,
            "image_shape": list(shape),
            "batch_size": args.batch_size,
            "variants": results,
        }
    )


if __name__ == "__main__":
    main()
