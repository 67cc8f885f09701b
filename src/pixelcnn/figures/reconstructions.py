"""Figure 6 of the paper: per row, a source image | its MSE reconstruction | PixelCNN samples given its code h; and
the MSE baseline's own source | reconstruction rows. Columns captioned, the code size m in the title."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from pixelcnn.api import load_model
from pixelcnn.data.validation import check_model_fits_data
from pixelcnn.errors import CheckpointError
from pixelcnn.figures.base import Figure, Page, SamplingOptions
from pixelcnn.figures.captions import Captions
from pixelcnn.models import MSEAutoEncoder, PixelCNNAutoEncoder


def reference_images(datamodule: Any, n: int, split: str = "test") -> torch.Tensor:
    """``n`` images (n,C,H,W) long spread evenly over a split (patches: over its source images too)."""
    datamodule.setup()
    dataset = datamodule.datasets[split]
    indices = np.linspace(0, len(dataset) - 1, num=min(n, len(dataset))).round().astype(int)
    return torch.stack([dataset[int(i)][0] for i in indices])


def reconstruction_rows(columns: Sequence[torch.Tensor], captions: Captions | None = None) -> Page:
    """One row per image: ``columns`` are (N, k_i, C, H, W) or (N, C, H, W) level tensors, laid side by side."""
    blocks = [c.unsqueeze(1) if c.dim() == 4 else c for c in columns]
    rows = torch.cat([b.cpu() for b in blocks], dim=1)
    return Page(rows.flatten(0, 1), rows.shape[1], captions)


def decodings(model: PixelCNNAutoEncoder, originals: torch.Tensor, per_row: int, seed: int, **sampling: Any):
    """(N, per_row, C, H, W): ``per_row`` samples given the code of each original (every sample of a row decodes
    the same h)."""
    cond = originals.repeat_interleave(per_row, 0)
    samples = model.sample(len(cond), cond=cond, seed=seed, **sampling)
    return samples.view(len(originals), per_row, *model.image_shape)


def mse_baseline(ckpt_path: str | Path, model: PixelCNNAutoEncoder) -> MSEAutoEncoder:
    """The MSE auto-encoder of ``ckpt_path``, checked to model images like ``model``, on its device."""
    baseline = load_model(ckpt_path, map_location=model.device)
    if not isinstance(baseline, MSEAutoEncoder):
        raise CheckpointError(f"mse_ckpt={ckpt_path} holds a {type(baseline).__name__}; pass an mse_autoencoder run")
    check_model_fits_data(
        baseline, model, "train both on the same data", what=f"mse_ckpt={ckpt_path}", given_by="this auto-encoder"
    )
    return baseline


class Reconstructions(Figure):
    """``reconstructions.png``. PixelCNN auto-encoder (Figure 6): per image of ``split`` source | MSE reconstruction
    (with ``mse_ckpt``) | ``samples_per_row`` samples given its code. MSE auto-encoder: source | reconstruction."""

    def __init__(
        self, rows: int = 8, samples_per_row: int = 4, mse_ckpt: str | None = None, seed: int = 0, split: str = "test"
    ) -> None:
        self.rows, self.per_row, self.mse_ckpt, self.seed = int(rows), int(samples_per_row), mse_ckpt, int(seed)
        self.split = split

    def applies_to(self, model: torch.nn.Module) -> bool:
        return isinstance(model, PixelCNNAutoEncoder | MSEAutoEncoder)

    def pages(self, model: Any, datamodule: Any, sampling: SamplingOptions) -> dict[str, Page]:
        originals = reference_images(datamodule, self.rows, self.split).to(model.device)
        if isinstance(model, MSEAutoEncoder):
            captions = Captions(columns=["source", "MSE"], title=f"MSE auto-encoder, m={model.latent_dim}")
            return {"reconstructions": reconstruction_rows([originals, model.reconstruct(originals)], captions)}
        columns, names = [originals], ["source"]
        if self.mse_ckpt:
            baseline = mse_baseline(self.mse_ckpt, model)
            columns.append(baseline.reconstruct(originals))
            names.append(f"MSE m={baseline.latent_dim}")
        columns.append(decodings(model, originals, self.per_row, self.seed, **sampling))
        names += [str(k + 1) for k in range(self.per_row)]
        captions = Captions(columns=names, title=f"PixelCNN samples given the source's code h, m={model.latent_dim}")
        return {"reconstructions": reconstruction_rows(columns, captions)}
