"""Bits per dimension as a torchmetrics Metric: sums of NLL and dimensions, so DDP reduces it exactly."""

from __future__ import annotations

import math

import torch
from torchmetrics import Metric


class BitsPerDim(Metric):
    """Mean bits/dim over every sub-pixel seen: sum(NLL nats) / (sum(dims) * ln 2).

    Dividing the summed NLL by the summed sub-pixel count (not averaging per-batch means) keeps the number exact
    for uneven last batches and across DDP ranks.
    """

    full_state_update = False
    higher_is_better = False
    is_differentiable = False

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.add_state("nll_sum", default=torch.tensor(0.0, dtype=torch.float64), dist_reduce_fx="sum")
        self.add_state("dims", default=torch.tensor(0, dtype=torch.int64), dist_reduce_fx="sum")

    def update(self, nll_nats: torch.Tensor, dims_per_image: int) -> None:
        """nll_nats: (B,) NLL of each image in nats; dims_per_image: C*H*W."""
        self.nll_sum += nll_nats.detach().double().sum()
        self.dims += nll_nats.numel() * dims_per_image

    def compute(self) -> torch.Tensor:
        return (self.nll_sum / (self.dims.double() * math.log(2.0))).float()
