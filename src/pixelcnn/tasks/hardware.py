"""The machine's part of the trainer config: the precision the chosen device supports and torch's CPU threads."""

from __future__ import annotations

import re
from pathlib import Path
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


def cpu_computes_bf16(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    """Whether this CPU has bf16 instructions (AMX-BF16 or AVX512-BF16, as Linux lists them in ``cpuinfo``). Other
    CPUs (and machines without the file) convert bf16 to float32 for every operation, which gains nothing."""
    try:
        flags = cpuinfo.read_text(errors="replace")
    except OSError:
        return False
    return re.search(r"\b(amx_bf16|avx512_bf16)\b", flags) is not None


def native_bf16_precision(accelerator: Any) -> str:
    """``bf16-mixed`` where the device computes bf16 natively (a bf16 GPU; a CPU with AMX or AVX512-BF16), else
    ``32-true``: what ``trainer.precision: native-bf16`` becomes (the quick CPU recipes ask for it)."""
    if uses_gpu(accelerator):
        return auto_precision(accelerator)
    return "bf16-mixed" if cpu_computes_bf16() else "32-true"


def machine_options(trainer: dict[str, Any]) -> dict[str, Any]:
    """``trainer`` (the group's values) with ``precision: auto`` or ``native-bf16`` made concrete and ``threads``
    taken out (it is torch's, set here, not Lightning's). Any other precision is kept as given."""
    options = dict(trainer)
    threads = options.pop("threads", None)
    if threads is not None:
        if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
            raise ConfigValueError(f"trainer.threads={threads}: must be a positive integer (or null: torch's default)")
        torch.set_num_threads(threads)
    precision = str(options.get("precision", "auto"))
    if precision in ("auto", "native-bf16"):
        resolve = auto_precision if precision == "auto" else native_bf16_precision
        options["precision"] = resolve(options.get("accelerator", "auto"))
    return options
