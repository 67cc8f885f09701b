"""What every figure maker is: a callable config (``conf/figures/*.yaml``) that draws PNGs for the models it fits."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import torch

SamplingOptions = Mapping[str, Any]  # model.sample keyword arguments: fast, batch_size, progress


class Figure:
    """``applies_to(model)`` says whether this figure exists for a model kind; ``draw`` writes PNGs into ``folder``
    and returns {name: path}. Figures use the model's public surface only (``sample``, ``image_shape``,
    ``num_levels``, ``num_classes``; ``reconstruct`` for the MSE auto-encoder), never its weights directly, so
    they draw with whatever weights the model holds (the averaged ones after training with EMA)."""

    def applies_to(self, model: torch.nn.Module) -> bool:
        raise NotImplementedError

    def draw(self, model: torch.nn.Module, datamodule: Any, folder: Path, sampling: SamplingOptions) -> dict[str, Path]:
        raise NotImplementedError


def draw_figures(
    figures: Iterable[Figure] | None,
    model: torch.nn.Module,
    datamodule: Any,
    folder: str | Path,
    sampling: SamplingOptions | None = None,
) -> dict[str, Path]:
    """Every figure of ``figures`` (the instantiated ``figures`` config group) that applies to ``model``."""
    paths: dict[str, Path] = {}
    for figure in figures or ():
        if figure.applies_to(model):
            paths.update(figure.draw(model, datamodule, Path(folder), dict(sampling or {})))
    return paths
