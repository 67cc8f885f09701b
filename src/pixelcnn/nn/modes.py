"""Evaluation mode for the length of a block, whatever mode the module and its parts were in before."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from torch import nn


@contextmanager
def eval_mode(module: nn.Module) -> Iterator[nn.Module]:
    """``with eval_mode(model): ...`` runs the block with ``model.eval()`` (dropout off, batch-norm statistics
    frozen), then gives every submodule back its own earlier mode, also when the block raises (a part frozen in
    eval mode inside a training model stays in eval mode)."""
    modes = [(part, part.training) for part in module.modules()]
    module.eval()
    try:
        yield module
    finally:
        for part, training in modes:
            part.training = training
