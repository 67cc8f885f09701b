"""Polyak averaging through Lightning's own ``WeightAveraging`` callback, with a warm-up of the decay.

Lightning swaps the averaged weights in for validation, copies them into the model when training ends, and writes
them as the checkpoint's ``state_dict`` (the raw weights go to ``current_model_state`` and come back on resume). So
whoever computes from a checkpoint or after ``fit`` (eval, sampling, figures, ``load_model``) gets the average
without knowing that averaging exists.
"""

from __future__ import annotations

from typing import Any

import torch
from pytorch_lightning.callbacks import WeightAveraging
from torch.optim.swa_utils import get_ema_avg_fn

from pixelcnn.errors import InputError


def warmup_ema(decay: float) -> Any:
    """``avg_fn`` for ``AveragedModel``: ``w_ema <- d_t w_ema + (1 - d_t) w`` with ``d_t = min(decay, (1+t)/(10+t))``
    after ``t`` averaged steps, so early averages are not dominated by the first weights."""

    def average(averaged: torch.Tensor, current: torch.Tensor, num_averaged: torch.Tensor) -> torch.Tensor:
        t = num_averaged.to(torch.float64)
        d = torch.clamp((1.0 + t) / (10.0 + t), max=decay).to(averaged.dtype)
        return averaged + (current - averaged) * (1.0 - d)

    return average


def average_fn(decay: float, warmup: bool = True) -> Any:
    """The ``avg_fn`` of an EMA with ``decay``: ``warmup_ema`` (the decay ramped up), or torch's plain one."""
    return warmup_ema(decay) if warmup else get_ema_avg_fn(decay)


class EMA(WeightAveraging):
    """``callbacks=[default,ema]`` (``conf/callbacks/ema.yaml``): an exponential moving average of every weight,
    updated after every optimizer step (what Lightning's ``EMAWeightAveraging`` does, plus the warm-up).

    ``decay`` in (0, 1), e.g. 0.9995; ``warmup``: ramp the decay up as ``(1+t)/(10+t)`` (on by default). Other
    keyword arguments go to ``WeightAveraging`` (e.g. ``device="cpu"`` to keep the average off the GPU).
    """

    def __init__(self, decay: float = 0.9995, warmup: bool = True, **kwargs: Any) -> None:
        if not 0.0 < float(decay) < 1.0:
            raise InputError(f"the EMA decay must lie in (0, 1), e.g. 0.9995; got {decay}")
        self.decay, self.warmup = float(decay), bool(warmup)
        super().__init__(avg_fn=average_fn(self.decay, self.warmup), **kwargs)
