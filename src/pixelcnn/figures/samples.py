"""Sample grids: ``num_samples`` samples of an unconditional model, or rows of one class each, labelled with the
class names the data module knows (class-conditional)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch

from pixelcnn.errors import ConfigValueError
from pixelcnn.figures.base import Figure, Page, SamplingOptions
from pixelcnn.figures.captions import Captions
from pixelcnn.models import PixelCNNModule
from pixelcnn.nn.network import PixelCNNNetwork

Sampler = PixelCNNModule | PixelCNNNetwork  # the trained module or its bare network: both sample
MAX_ROWS = 32  # class rows in one grid unless listed: beyond that a grid is too tall to read (ImageNet has 1000)


def class_names(num_classes: int, datamodule: Any = None) -> list[str]:
    """The data module's ``class_names`` when it has one per class, else "class 0", "class 1", ..."""
    names = getattr(datamodule, "class_names", None)
    if names is not None and len(names) == num_classes:
        return [str(name) for name in names]
    return [f"class {i}" for i in range(num_classes)]


def class_layout(num_classes: int, num_samples: int, classes: Sequence[int] | None = None) -> tuple[list[int], int]:
    """(the classes shown, one row each; samples per row) for at most ``num_samples`` images: the listed
    ``classes``, or every class when there are at most ``num_samples`` and ``MAX_ROWS`` of them, else
    ceil(sqrt(num_samples)) classes (at most ``MAX_ROWS``) spread evenly over all of them (ImageNet: 64 samples are
    8 classes of 8)."""
    if classes is not None:
        shown = [int(c) for c in classes]
        if not shown or any(not 0 <= c < num_classes for c in shown):
            raise ConfigValueError(f"figures.samples.classes={shown}: must be class ids in 0..{num_classes - 1}")
    elif num_classes <= min(num_samples, MAX_ROWS):
        shown = list(range(num_classes))
    else:
        count = min(num_classes, MAX_ROWS, math.ceil(math.sqrt(num_samples)))
        shown = [round(i * (num_classes - 1) / max(1, count - 1)) for i in range(count)]
    return shown, max(1, num_samples // len(shown))


def class_rows(
    model: Sampler, per_class: int, seed: int, sampling: SamplingOptions, classes: Sequence[int] | None = None
) -> torch.Tensor:
    """``per_class`` samples of each of ``classes`` (default all), class by class: (classes * per_class, C, H, W)."""
    device = next(model.parameters()).device
    shown = torch.as_tensor(range(model.num_classes) if classes is None else list(classes), device=device)
    cond = shown.long().repeat_interleave(per_class)
    return model.sample(len(cond), cond=cond, seed=seed, **sampling)


class SampleGrid(Figure):
    """``samples.png``. Unconditional: ``num_samples`` samples in a square-ish grid. Class-conditional: rows of one
    class each, labelled with its name, at most ``num_samples`` images in all (``class_layout``; ``classes`` picks
    the rows)."""

    def __init__(self, num_samples: int = 64, classes: Sequence[int] | None = None, seed: int = 0) -> None:
        if isinstance(num_samples, bool) or int(num_samples) < 1:
            raise ConfigValueError(f"figures.samples.num_samples={num_samples!r}: must be a positive integer")
        self.num_samples, self.seed = int(num_samples), int(seed)
        self.classes = None if classes is None else [int(c) for c in classes]

    def applies_to(self, model: torch.nn.Module) -> bool:
        # unconditional or class-conditional; vector-conditioned kinds draw portraits or reconstructions instead
        return isinstance(model, Sampler) and (model.conditioner is None or model.num_classes is not None)

    def pages(self, model: Sampler, datamodule: Any, sampling: SamplingOptions) -> dict[str, Page]:
        if not model.num_classes:
            samples = model.sample(self.num_samples, seed=self.seed, **sampling)
            return {"samples": Page(samples, max(1, int(self.num_samples**0.5)))}
        shown, per_class = class_layout(model.num_classes, self.num_samples, self.classes)
        samples = class_rows(model, per_class, self.seed, sampling, shown)
        names = class_names(model.num_classes, datamodule)
        return {"samples": Page(samples, per_class, Captions(rows=[names[c] for c in shown]))}
