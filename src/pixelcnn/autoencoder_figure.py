"""Figure 6 of the paper: per row, an original | its MSE reconstruction | PixelCNN samples given its code h."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from pixelcnn.viz import save_grid


def reference_images(datamodule: Any, n: int, split: str = "test") -> torch.Tensor:
    """``n`` images (n,C,H,W) long spread evenly over a split (patches: over its source images too)."""
    datamodule.setup()
    dataset = datamodule.datasets[split]
    indices = np.linspace(0, len(dataset) - 1, num=min(n, len(dataset))).round().astype(int)
    return torch.stack([dataset[int(i)][0] for i in indices])


def save_reconstruction_rows(columns: Sequence[torch.Tensor], num_levels: int, path: str | Path) -> Path:
    """One row per image: ``columns`` are (N, k_i, C, H, W) or (N, C, H, W) level tensors, laid side by side.

    Returns the PNG path.
    """
    blocks = [c.unsqueeze(1) if c.dim() == 4 else c for c in columns]
    rows = torch.cat([b.cpu() for b in blocks], dim=1)
    return save_grid(rows.flatten(0, 1), num_levels, path, nrow=rows.shape[1])
