"""What the benchmark scripts share: device choice, timing, backbone configs from conf/, one JSON line out."""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

REPO = Path(__file__).resolve().parents[1]
CONF = REPO / "conf"


def add_common_args(parser: argparse.ArgumentParser) -> None:
    """--device, --threads and the backbone overrides every script takes (tiny settings for tests)."""
    parser.add_argument("--device", default="auto", help="cpu, cuda, cuda:1 ... or auto (cuda when available)")
    parser.add_argument("--threads", type=int, default=None, help="CPU threads for torch (default: torch's own)")
    parser.add_argument("--layers", type=int, default=None, help="override backbone num_layers")
    parser.add_argument("--hidden", type=int, default=None, help="override hidden, skip and output_hidden widths")
    parser.add_argument("--kernel", type=int, default=None, help="override kernel_size and first_kernel_size")


def pick_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        sys.exit("error: --device cuda but no CUDA device is available; use --device cpu")
    return device


def setup(args: argparse.Namespace) -> torch.device:
    if args.threads:
        torch.set_num_threads(args.threads)
    return pick_device(args.device)


def config_override(path: str) -> str:
    """The Hydra override that selects a YAML under conf/: ``conf/experiment/cifar10.yaml`` -> ``experiment=cifar10``,
    ``conf/model/gated.yaml`` -> ``model=gated``, ``conf/model/backbone/paper.yaml`` -> ``model/backbone=paper``."""
    file = (REPO / path).resolve()
    try:
        group = file.parent.relative_to(CONF).as_posix()
    except ValueError:
        sys.exit(f"error: {path} is not a YAML under {CONF}")
    if group not in ("experiment", "model", "model/backbone") or not file.is_file():
        sys.exit(f"error: {path} is not a conf/experiment, conf/model or conf/model/backbone YAML")
    return f"{group}={file.stem}"


def backbone_config(path: str, args: argparse.Namespace) -> dict[str, Any]:
    """The ``GatedPixelCNN`` keyword arguments of a model, backbone or experiment YAML under conf/ (composed as
    train.py composes it, so ``model/backbone`` presets apply), overridden by --layers / --hidden / --kernel."""
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        cfg = compose("train", overrides=[config_override(path)])
    backbone = OmegaConf.to_container(cfg.model.backbone, resolve=True)
    backbone = {k: v for k, v in backbone.items() if not k.startswith("_")}  # _target_, _partial_
    if args.layers is not None:
        backbone["num_layers"] = args.layers
    if args.hidden is not None:
        backbone.update(hidden_channels=args.hidden, skip_channels=args.hidden, output_hidden=2 * args.hidden)
    if args.kernel is not None:
        backbone.update(kernel_size=args.kernel, first_kernel_size=args.kernel)
    return backbone


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed(fn: Callable[[], Any], device: torch.device) -> tuple[Any, float]:
    """(result, seconds) of one call, waiting for the device before and after."""
    synchronize(device)
    start = time.perf_counter()
    result = fn()
    synchronize(device)
    return result, time.perf_counter() - start


def timed_cpu(fn: Callable[[], Any], device: torch.device) -> tuple[Any, float, float]:
    """(result, wall seconds, CPU seconds of this process) of one call. On a CPU shared with other jobs, the CPU
    seconds of a --threads 1 run hardly change with their load, so ratios of them are the fair ones."""
    start = time.process_time()
    result, seconds = timed(fn, device)
    return result, seconds, time.process_time() - start


def machine(device: torch.device) -> dict[str, Any]:
    """What the numbers were measured on."""
    info = {
        "device": str(device),
        "device_name": torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor() or "cpu",
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "cpu_count": os.cpu_count(),
        # Other processes on the machine slow every number down; this says how busy it was at the end.
        "load_average_1min": os.getloadavg()[0],
    }
    return info


def peak_memory(device: torch.device) -> dict[str, Any]:
    """Peak memory: CUDA allocator peak on GPU; the process's peak resident set on CPU (includes Python)."""
    if device.type == "cuda":
        return {"peak_memory_mb": torch.cuda.max_memory_allocated(device) / 2**20, "peak_memory_kind": "cuda_allocated"}
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"peak_memory_mb": rss_kb / 1024, "peak_memory_kind": "process_max_rss"}


def emit(result: dict[str, Any]) -> None:
    """Print the one JSON object a benchmark reports."""
    print(json.dumps(result, indent=None, sort_keys=False))
