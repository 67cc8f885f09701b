"""The picture the sample-grid callback saves after each validation, for any model kind: (images, images per row)."""

from __future__ import annotations

from typing import Any

import torch

from pixelcnn.figures.reconstructions import decodings, reference_images
from pixelcnn.figures.samples import class_rows
from pixelcnn.models import MSEAutoEncoder, PixelCNNAutoEncoder, PixelCNNModule


def preview(model: torch.nn.Module, datamodule: Any, n: int, seed: int = 0) -> tuple[torch.Tensor, int]:
    """About ``n`` images (N,C,H,W) long and the row length to lay them out with.

    - MSE auto-encoder: pairs of a validation image and its reconstruction;
    - PixelCNN auto-encoder: rows of a validation image and 3 decodings of its code;
    - class-conditional: rows of classes 0, 1, ... (one row per class, ceil(n / classes) samples each);
    - conditioned on a vector h: samples of the first validation images' h;
    - unconditional: n samples.
    """
    if isinstance(model, MSEAutoEncoder):
        originals = reference_images(datamodule, max(1, n // 2), "val").to(model.device)
        return torch.stack([originals, model.reconstruct(originals)], dim=1).flatten(0, 1), 2
    if isinstance(model, PixelCNNAutoEncoder):
        originals = reference_images(datamodule, max(1, n // 4), "val").to(model.device)
        grid = torch.cat([originals[:, None], decodings(model, originals, 3, seed)], dim=1)
        return grid.flatten(0, 1), 4
    if not isinstance(model, PixelCNNModule):
        raise TypeError(f"no preview for a {type(model).__name__}")
    if model.num_classes:
        per_class = max(1, -(-n // model.num_classes))
        return class_rows(model, per_class, seed, {}), per_class
    if model.conditioner is not None:
        datamodule.setup()
        dataset = datamodule.datasets["val"]
        h = torch.stack([dataset[i % len(dataset)][1] for i in range(n)]).to(model.device, torch.float32)
        return model.sample(n, cond=h, seed=seed), max(1, int(n**0.5))
    return model.sample(n, seed=seed), max(1, int(n**0.5))
