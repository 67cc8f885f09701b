"""The machine's part of the trainer config: the precision the chosen device supports and torch's CPU threads."""

from __future__ import annotations

from typing import Any

import torch

from pixelcnn.errors import ConfigValueError

GPU_ACCELERATORS = ("auto", "gpu", "cuda")


def uses_gpu(accelerator: Any) -> bool:
    """Whether ``trainer.accelerator`` lands on a CUDA GPU here (``auto`` picks one when there is one)."""
    return str(accelerator) in GPU_ACCELERATORS and torch.cuda.is_available()


def auto_precision(accelerator: Any) -> str:
    """``bf16-mixed`` on a GPU that computes in bf16 (Ampere and later), ``32-true`` everywhere else."""
    if uses_gpu(accelerator) and torch.cuda.is_bf16_supported():
        return "bf16-mixed"
    return "32-true"


def machine_options(trainer: dict[str, Any]) -> dict[str, Any]:
    """``trainer`` (the group's values) with ``precision: auto`` made concrete and ``threads`` taken out (it is
    torch's, set here, not Lightning's). Any other precision is kept as given."""
    options = dict(trainer)
    threads = options.pop("threads", None)
    if threads is not None:
        if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
            raise ConfigValueError(f"trainer.threads={threads}: must be a positive integer (or null: torch's default)")
        torch.set_num_threads(threads)
    if str(options.get("precision", "auto")) == "auto":
        options["precision"] = auto_precision(options.get("accelerator", "auto"))
    return options
