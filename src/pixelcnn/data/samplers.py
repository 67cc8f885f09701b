"""Evaluation sampler for DDP: every image exactly once over all ranks, so bits/dim equals one process's."""

from __future__ import annotations

from collections.abc import Iterator, Sized

import torch.distributed as dist
from torch.utils.data import DistributedSampler


class UnpaddedDistributedSampler(DistributedSampler):
    """Rank r of W reads indices r, r+W, r+2W, ... of the data set, in order, and nothing else.

    Lightning's ``DistributedSampler`` pads the last batch with repeated images so every rank gets as many; those
    repeats would be counted twice by ``BitsPerDim``. This sampler does not pad: ranks may get one image fewer.
    It subclasses ``DistributedSampler`` only so Lightning keeps it instead of injecting its own. The rank and
    world size are read when iterating, so a loader built before the process group exists (eval.py) still splits.
    Single-process it is a sequential sampler.
    """

    def __init__(self, dataset: Sized) -> None:  # no super().__init__: it needs an initialised process group
        self.dataset = dataset
        self.epoch = 0
        self.shuffle = False
        self.drop_last = False
        self.seed = 0

    @property
    def num_replicas(self) -> int:  # type: ignore[override]
        return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1

    @property
    def rank(self) -> int:  # type: ignore[override]
        return dist.get_rank() if dist.is_available() and dist.is_initialized() else 0

    def indices(self) -> range:
        return range(self.rank, len(self.dataset), self.num_replicas)

    def __iter__(self) -> Iterator[int]:
        return iter(self.indices())

    def __len__(self) -> int:
        return len(self.indices())
