"""Polyak averaging: an exponential moving average of a network's weights, kept as a copy of the network."""

from __future__ import annotations

import copy

import torch
from torch import nn


class EMAWeights(nn.Module):
    """A frozen copy ``shadow`` of ``network`` whose weights follow ``w_ema <- d * w_ema + (1 - d) * w``.

    The decay warms up as ``d_t = min(decay, (1 + t) / (10 + t))`` after ``t`` updates, so early averages are not
    dominated by the random initial weights. The copy and ``num_updates`` are registered, so they are part of the
    owner's ``state_dict`` (checkpoints carry them and resumed runs continue the average).
    """

    def __init__(self, network: nn.Module, decay: float) -> None:
        super().__init__()
        if not 0.0 < decay < 1.0:
            raise ValueError(f"ema decay must lie in (0, 1), got {decay}")
        self.decay = float(decay)
        self.shadow = copy.deepcopy(network)
        self.shadow.requires_grad_(False)
        self.register_buffer("num_updates", torch.zeros((), dtype=torch.long))

    def current_decay(self) -> float:
        t = int(self.num_updates)
        return min(self.decay, (1.0 + t) / (10.0 + t))

    @torch.no_grad()
    def update(self, network: nn.Module) -> None:
        """Move the average one step towards ``network``'s current weights (same architecture as ``shadow``)."""
        d = self.current_decay()
        for averaged, current in zip(self.shadow.parameters(), network.parameters(), strict=True):
            averaged.lerp_(current.detach().to(averaged.dtype), 1.0 - d)
        for averaged, current in zip(self.shadow.buffers(), network.buffers(), strict=True):
            averaged.copy_(current)
        self.num_updates += 1
