"""What a logged run records besides the Hydra config: parameter counts, the git commit and the command line.

Lightning logs no model hyper-parameters itself here (``save_hyperparameters(logger=False)``), so the config is
logged once, nested as Hydra composed it, plus ``run`` = this.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import torch


def parameter_counts(model: torch.nn.Module) -> dict[str, int]:
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return {"params_total": total, "params_trainable": trainable}


def git_commit(folder: str | Path | None = None) -> str | None:
    """HEAD of the repository around ``folder`` (``-dirty`` with uncommitted changes); None outside git."""
    try:
        run = {"cwd": folder, "capture_output": True, "text": True, "timeout": 10, "check": True}
        commit = subprocess.run(["git", "rev-parse", "HEAD"], **run).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], **run).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{commit}-dirty" if dirty else commit


def command_line() -> str:
    return " ".join(shlex.quote(arg) for arg in ["python", *sys.argv])


def run_info(model: torch.nn.Module, root: str | Path | None = None) -> dict[str, Any]:
    """``{"run": {params_total, params_trainable, git_commit, command}}`` for ``log_hyperparams``."""
    return {"run": {**parameter_counts(model), "git_commit": git_commit(root), "command": command_line()}}
