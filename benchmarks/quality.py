"""Quality per training minute: each output head trained on data=patches for the same wall-clock budget.

    python benchmarks/quality.py [--minutes 5] [--threads 1] [--heads softmax,logistic_mixture] [--batch-size 16]
                                 [--override model.optimizer.lr=3e-4 ...] [--clip 1.0] [--clock wall|cpu]

Each head trains the `gated` preset (`model/head=<head>`, composed as train.py composes it, plus the overrides)
with its configured optimizer and schedule for `--minutes` of wall-clock time (data loading included, evaluation
not), in the trainer's precision and compiled when `model.compile` asks (as train.py would), then val and test
bits/dim are measured in float32 on every val / test crop. Prints one JSON line: per head the steps, images/s
and val/test bits/dim, and the machine (threads, load average: the CPU may be shared). `--clock cpu` counts this
process's CPU time instead (and its C++ compiler's), so runs on a machine shared with other jobs (with
`--threads 1`) still get about what an idle core gives; `--curve-every N` records [step, seconds, train bpd].
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import time
from contextlib import AbstractContextManager, nullcontext
from typing import Any

# torch.compile (model.compile=true) compiles in this process, with no cache from an earlier run, so that
# --clock cpu counts its cost as a user's first run pays it
os.environ.setdefault("TORCHINDUCTOR_COMPILE_THREADS", "1")
os.environ.setdefault("TORCHINDUCTOR_FORCE_DISABLE_CACHES", "1")

import hydra
import torch
from bench_utils import CONF, add_common_args, emit, machine, setup
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf
from torch.optim.swa_utils import AveragedModel

from pixelcnn.callbacks.ema import average_fn
from pixelcnn.metrics import BitsPerDim
from pixelcnn.tasks.hardware import machine_options


def compose_run(head: str, args: argparse.Namespace) -> Any:
    """The run's config: train.py's composition of --model and --data with this head, sizes and overrides."""
    overrides = [f"data={args.data}", f"data.batch_size={args.batch_size}", f"seed={args.seed}", f"model={args.model}"]
    backbone = "model.backbone."
    if args.layers is not None:
        overrides.append(f"{backbone}num_layers={args.layers}")
    if args.hidden is not None:
        widths = {"hidden_channels": args.hidden, "skip_channels": args.hidden, "output_hidden": 2 * args.hidden}
        overrides += [f"{backbone}{key}={width}" for key, width in widths.items()]
    if args.kernel is not None:
        overrides += [f"{backbone}kernel_size={args.kernel}", f"{backbone}first_kernel_size={args.kernel}"]
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        return compose("train", overrides=[*overrides, f"model/head={head}", *args.override])


@torch.no_grad()
def bits_per_dim(model: Any, loader: Any, device: torch.device, limit: int | None) -> float:
    """Exact bits/dim over the loader's images (the first ``limit`` batches when given)."""
    model.eval()
    metric = BitsPerDim().to(device)
    for index, batch in enumerate(loader):
        if limit is not None and index >= limit:
            break
        metric.update(model.nll(batch[0].to(device)), model.num_dims)
    return float(metric.compute())


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the C++ compiler that torch.compile runs)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def training_precision(cfg: Any, device: torch.device) -> tuple[str, AbstractContextManager]:
    """The trainer's precision as train.py resolves it (``auto``: what the device supports) and the autocast
    context that gives it to the training steps; evaluation always runs in float32."""
    trainer = OmegaConf.to_container(cfg.trainer, resolve=False)
    trainer["accelerator"] = device.type
    precision = str(machine_options(trainer)["precision"])
    if precision in ("32-true", "32"):
        return precision, nullcontext()
    if precision == "bf16-mixed":
        return precision, torch.autocast(device.type, dtype=torch.bfloat16)
    raise SystemExit(f"error: trainer.precision={precision} is not one this benchmark runs (32-true or bf16-mixed)")


def weight_average(cfg: Any, model: torch.nn.Module) -> AveragedModel | None:
    """The average of the weights that ``callbacks.ema`` (``callbacks=[default,ema]``) keeps in train.py, updated
    after every step and evaluated in place of the model; None when the run composes no EMA callback."""
    spec = OmegaConf.select(cfg, "callbacks.ema")
    if spec is None:
        return None
    callback = hydra.utils.instantiate(spec)  # the callback train.py builds: its defaults and checks
    return AveragedModel(model, avg_fn=average_fn(callback.decay, callback.warmup))


def train_for(model: Any, datamodule: Any, device: torch.device, args: argparse.Namespace,
              autocast: AbstractContextManager, averaged: AveragedModel | None) -> dict[str, Any]:  # fmt: skip
    """Train until the budget (or --max-steps) is spent; returns steps, images, seconds and the last train bpd."""
    configured = model.configure_optimizers()
    optimizer = configured["optimizer"] if isinstance(configured, dict) else configured
    scheduler = configured["lr_scheduler"]["scheduler"] if isinstance(configured, dict) else None
    per_step = isinstance(configured, dict) and configured["lr_scheduler"]["interval"] == "step"
    clock = cpu_seconds if args.clock == "cpu" else time.perf_counter
    budget, steps, images, epoch, loss, curve = args.minutes * 60.0, 0, 0, 0, float("nan"), []
    start, wall_start = clock(), time.perf_counter()
    model.train()
    while True:
        for batch in datamodule.train_dataloader():
            x = batch[0].to(device)
            with autocast:
                loss = model.nll(x).mean() / (model.num_dims * math.log(2.0))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if args.clip:
                torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
            optimizer.step()
            if averaged is not None:
                averaged.update_parameters(model)
            if per_step:
                scheduler.step()
            steps, images = steps + 1, images + x.shape[0]
            if args.curve_every and steps % args.curve_every == 0:
                curve.append([steps, round(clock() - start, 1), round(float(loss.detach()), 3)])
            if clock() - start >= budget or (args.max_steps and steps >= args.max_steps):
                seconds = clock() - start
                return {"steps": steps, "epochs": epoch, "seconds": seconds, "images_per_s": images / seconds,
                        "wall_seconds": time.perf_counter() - wall_start, "last_train_bpd": float(loss.detach()),
                        "curve": curve}  # fmt: skip
        epoch += 1
        if scheduler is not None and not per_step:
            scheduler.step()


def run_head(head: str, device: torch.device, args: argparse.Namespace) -> dict[str, Any]:
    cfg = compose_run(head, args)
    torch.manual_seed(args.seed)
    datamodule = hydra.utils.instantiate(cfg.data)
    datamodule.setup("fit")
    datamodule.setup("test")
    model = hydra.utils.instantiate(cfg.model, _convert_="all").to(device)
    precision, autocast = training_precision(cfg, device)
    averaged = weight_average(cfg, model)  # a copy of the model before it is compiled
    model.prepare(device)  # as the model's setup does in train.py: layout, and compile when model.compile asks
    result: dict[str, Any] = {"parameters": sum(p.numel() for p in model.parameters()), "precision": precision,
                              "compiled": bool(getattr(model, "_compiled", False))}  # fmt: skip
    result.update(train_for(model, datamodule, device, args, autocast, averaged))
    result["weight_average"] = averaged is not None
    model = model if averaged is None else averaged.module
    start = time.perf_counter()
    result["val_bpd"] = bits_per_dim(model, datamodule.val_dataloader(), device, args.eval_batches)
    result["test_bpd"] = bits_per_dim(model, datamodule.test_dataloader(), device, args.eval_batches)
    result["eval_seconds"] = time.perf_counter() - start
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_args(parser)
    parser.set_defaults(threads=1)
    parser.add_argument("--minutes", type=float, default=5.0, help="training wall-clock budget per head")
    parser.add_argument("--heads", default="softmax,logistic_mixture", help="conf/model/head options, comma separated")
    parser.add_argument("--model", default="gated", help="conf/model preset")
    parser.add_argument("--data", default="patches", help="conf/data option")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--clip", type=float, default=0.0, help="clip the gradient norm to this (0: no clipping)")
    parser.add_argument("--override", action="append", default=[], help="Hydra override: model.optimizer.lr=3e-4")
    parser.add_argument(
        "--clock",
        choices=("wall", "cpu"),
        default="wall",
        help="what the budget counts: wall-clock time, or this process's CPU time (a shared machine)",
    )
    parser.add_argument("--curve-every", type=int, default=0, help="record [step, seconds, train bpd] this often")
    parser.add_argument("--max-steps", type=int, default=0, help="stop earlier after this many steps (tests)")
    parser.add_argument("--eval-batches", type=int, default=None, help="evaluate on this many batches only (tests)")
    args = parser.parse_args()
    device = setup(args)
    load_at_start = os.getloadavg()[0]
    heads = {head: run_head(head, device, args) for head in args.heads.split(",")}
    settings = {
        key: getattr(args, key)
        for key in ("minutes", "clock", "model", "data", "batch_size", "seed", "clip", "layers", "hidden", "kernel")
    }
    emit({"benchmark": "quality", **settings, "overrides": args.override, "heads": heads, **machine(device),
          "load_average_1min_at_start": load_at_start})  # fmt: skip


if __name__ == "__main__":
    main()
