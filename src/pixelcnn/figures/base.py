"""What every figure maker is: a callable config (``conf/figures/*.yaml``) that draws PNGs for the models it fits.
Final figures (``draw_figures``) and the per-validation preview draw through the same ``Figure.pages``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

import torch

from pixelcnn.figures.captions import Captions
from pixelcnn.figures.grid import save_grid

SamplingOptions = Mapping[str, Any]  # model.sample keyword arguments: fast, batch_size, progress, capture


class Page(NamedTuple):
    """One PNG of a figure: ``images`` levels (N,C,H,W), ``nrow`` per row, with ``captions`` around them."""

    images: torch.Tensor
    nrow: int
    captions: Captions | None = None

    def save(self, num_levels: int, path: str | Path) -> Path:
        return save_grid(self.images, num_levels, path, nrow=self.nrow, captions=self.captions)


class Figure:
    """``applies_to(model)`` says whether this figure exists for a model kind; ``pages`` draws its pictures
    ({name: Page}); ``draw`` saves each as ``folder/<name>.png`` and returns {name: path}. Figures use the model's
    public surface only (``sample``, ``image_shape``, ``num_levels``, ``num_classes``; ``reconstruct`` for the MSE
    auto-encoder), never its weights directly, so they draw with whatever weights the model holds (the averaged
    ones after training with EMA)."""

    def applies_to(self, model: torch.nn.Module) -> bool:
        raise NotImplementedError

    def pages(self, model: Any, datamodule: Any, sampling: SamplingOptions) -> dict[str, Page]:
        raise NotImplementedError

    def draw(self, model: Any, datamodule: Any, folder: Path, sampling: SamplingOptions) -> dict[str, Path]:
        pages = self.pages(model, datamodule, dict(sampling))
        return {name: page.save(model.num_levels, Path(folder) / f"{name}.png") for name, page in pages.items()}


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
