"""The per-validation preview: for each model kind the figure it gets, at most about ``num_samples`` images."""

from __future__ import annotations

from typing import Any

import torch

from pixelcnn.figures.base import Figure, Page, SamplingOptions
from pixelcnn.figures.reconstructions import Reconstructions
from pixelcnn.figures.samples import SampleGrid
from pixelcnn.models import EmbeddingConditionalPixelCNN

DECODINGS = 3  # samples per source image in an auto-encoder's preview


class EmbeddingSamples(Figure):
    """``samples.png`` of a model conditioned on a vector or map h (``gated_embed``, ``gated_spatial``): one sample
    of each of the first ``num_samples`` h of the data module's ``split``, in a square-ish grid."""

    def __init__(self, num_samples: int = 16, split: str = "val", seed: int = 0) -> None:
        self.num_samples, self.split, self.seed = int(num_samples), split, int(seed)

    def applies_to(self, model: torch.nn.Module) -> bool:
        return isinstance(model, EmbeddingConditionalPixelCNN)

    def pages(self, model: EmbeddingConditionalPixelCNN, datamodule: Any, sampling: SamplingOptions) -> dict[str, Page]:
        datamodule.setup()
        dataset = datamodule.datasets[self.split]
        n = self.num_samples
        h = torch.stack([dataset[i % len(dataset)][1] for i in range(n)]).to(model.device, torch.float32)
        return {"samples": Page(model.sample(n, cond=h, seed=self.seed, **sampling), max(1, int(n**0.5)))}


def preview_figures(num_samples: int, seed: int = 0) -> list[Figure]:
    """The preview's figures, the first that applies to a model drawing it: unconditional and class-conditional
    models the ``SampleGrid`` (class rows labelled with class names); auto-encoders ``num_samples // 4``
    validation images, each with ``DECODINGS`` decodings of its code (PixelCNN) or its reconstruction (MSE);
    h-conditioned models ``EmbeddingSamples``."""
    rows = max(1, num_samples // (1 + DECODINGS))
    return [
        SampleGrid(num_samples, seed=seed),
        Reconstructions(rows=rows, samples_per_row=DECODINGS, seed=seed, split="val"),
        EmbeddingSamples(num_samples, split="val", seed=seed),
    ]
