"""``model.compile: auto | true | false``: whether the backbone is compiled with ``torch.compile`` on a device."""

from __future__ import annotations

import os
import shutil
from typing import Any

import torch

from pixelcnn.errors import ConfigValueError

CXX_NAMES = ("g++", "clang++", "c++")  # what torch.compile's CPU code generator looks for, besides $CXX


def compile_setting(value: Any) -> bool | str:
    """``value`` checked: true, false or ``auto``; anything else raises ``ConfigValueError``."""
    if isinstance(value, bool) or value == "auto":
        return value
    raise ConfigValueError(f"model.compile must be auto, true or false, got {value!r}")


def cpp_compiler() -> str | None:
    """The C++ compiler ``torch.compile`` needs to generate CPU code: ``$CXX`` or one on the PATH; None when none."""
    return os.environ.get("CXX") or next(filter(None, map(shutil.which, CXX_NAMES)), None)


def compiles(value: Any, device: torch.device | str, training: bool = True) -> bool:
    """Whether to compile on ``device``: ``auto`` compiles for training (an evaluation alone does not win back the
    compile time), on CUDA, and on a CPU where a C++ compiler is found (elsewhere the run stays eager rather than
    stop at its first step); ``true`` always."""
    value = compile_setting(value)
    if value == "auto":
        return training and (torch.device(device).type == "cuda" or cpp_compiler() is not None)
    return bool(value)
