"""Sample grids: n samples of an unconditional model, or one row of samples per class (class-conditional)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from pixelcnn.figures.base import Figure, SamplingOptions
from pixelcnn.figures.grid import save_grid
from pixelcnn.models import PixelCNNModule


def class_rows(model: PixelCNNModule, per_class: int, seed: int, sampling: SamplingOptions) -> torch.Tensor:
    """``per_class`` samples of each class, class by class: (num_classes * per_class, C, H, W) long."""
    cond = torch.arange(model.num_classes, device=model.device).repeat_interleave(per_class)
    return model.sample(len(cond), cond=cond, seed=seed, **sampling)


class SampleGrid(Figure):
    """``samples.png``: ``num_samples`` samples (unconditional), or ``samples_per_class`` per class in one row each."""

    def __init__(self, num_samples: int = 64, samples_per_class: int = 8, seed: int = 0) -> None:
        self.num_samples, self.samples_per_class, self.seed = int(num_samples), int(samples_per_class), int(seed)

    def applies_to(self, model: torch.nn.Module) -> bool:
        # unconditional or class-conditional; vector-conditioned kinds draw portraits or reconstructions instead
        return isinstance(model, PixelCNNModule) and (model.conditioner is None or model.num_classes is not None)

    def draw(self, model: PixelCNNModule, datamodule: Any, folder: Path, sampling: SamplingOptions) -> dict[str, Path]:
        if model.num_classes:
            samples = class_rows(model, self.samples_per_class, self.seed, sampling)
            nrow = self.samples_per_class
        else:
            samples = model.sample(self.num_samples, seed=self.seed, **sampling)
            nrow = max(1, int(self.num_samples**0.5))
        return {"samples": save_grid(samples, model.num_levels, folder / "samples.png", nrow=nrow)}
