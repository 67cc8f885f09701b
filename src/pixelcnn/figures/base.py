"""What every figure maker is: a callable config (``conf/figures/*.yaml``) that draws PNGs for the models it fits.
Final figures (``draw_figures``) and the per-validation preview draw through the same ``Figure.pages``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

import torch

from pixelcnn.errors import ConfigValueError, check_count, cuda_only
from pixelcnn.figures.captions import Captions
from pixelcnn.figures.grid import save_grid

SamplingOptions = Mapping[str, Any]  # model.sample keyword arguments: fast, batch_size, progress, capture
SAMPLING_KEYS = ("fast", "batch_size", "progress", "capture")


def sampling_options(options: SamplingOptions | None, where: str = "sampling") -> dict[str, Any]:
    """``options`` (the ``sampling`` config group, or a part of it) as a dict, checked before hours of training
    reach the first picture: ``model.sample``'s keys only, ``batch_size`` >= 1 or null, ``capture`` auto|true|false;
    ``where`` names them in the one-line error."""
    checked = dict(options or {})
    unknown = sorted(set(checked) - set(SAMPLING_KEYS))
    if unknown:
        raise ConfigValueError(
            f"{where}.{unknown[0]}: not a sampling option; the options are {', '.join(SAMPLING_KEYS)}"
        )
    check_count(checked.get("batch_size"), f"{where}.batch_size", none_ok=True)
    cuda_only(checked.get("capture", "auto"), "cpu", f"{where}.capture")
    return checked


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
