"""Evaluation sampler for DDP: every image exactly once over all ranks, so bits/dim equals one process's."""

from __future__ import annotations

from collections.abc import Sized

import pytorch_lightning as pl
from pytorch_lightning.overrides.distributed import UnrepeatedDistributedSampler

from pixelcnn.errors import DataValidationError


def evaluation_sampler(dataset: Sized, trainer: pl.Trainer | None = None) -> UnrepeatedDistributedSampler:
    """Lightning's ``UnrepeatedDistributedSampler``: rank r of W reads images r, r+W, r+2W, ... in order, nothing
    else (ranks may get one image fewer).

    Lightning's default ``DistributedSampler`` pads the last batch with repeated images so every rank gets as many;
    ``BitsPerDim`` would count those twice. Being a ``DistributedSampler``, this one is kept by Lightning. The ranks
    come from ``trainer`` (known when it is built, before the processes are launched: eval.py makes its loaders
    then); without a trainer, or on one device, it is a sequential sampler.
    """
    ranks = (trainer.distributed_sampler_kwargs if trainer is not None else None) or {"num_replicas": 1, "rank": 0}
    if 0 < len(dataset) < ranks["num_replicas"]:
        raise DataValidationError(
            f"{len(dataset)} images cannot be split over {ranks['num_replicas']} processes (each needs at least one); "
            "evaluate with fewer trainer.devices or trainer.num_nodes"
        )
    return UnrepeatedDistributedSampler(dataset, shuffle=False, **ranks)
