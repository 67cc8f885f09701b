"""A map-style data set over an in-memory (or memory-mapped) array of quantized images."""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import Dataset


class ImageArrayDataset(Dataset):
    """Items are (x LongTensor (C,H,W) of levels, y LongTensor () class id, or -1 when unlabelled).

    ``indices`` selects rows of ``images`` without copying them, so a memory-mapped array stays on disk.
    """

    def __init__(self, images: np.ndarray, labels: np.ndarray | None = None, indices: np.ndarray | None = None) -> None:
        if labels is not None and len(labels) != len(images):
            raise ValueError(f"{len(images)} images but {len(labels)} labels")
        self.images = images
        self.labels = labels
        self.indices = indices

    def __len__(self) -> int:
        return len(self.images) if self.indices is None else len(self.indices)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        row = index if self.indices is None else int(self.indices[index])
        x = torch.from_numpy(np.asarray(self.images[row], dtype=np.int64))
        y = -1 if self.labels is None else int(self.labels[row])
        return x, torch.tensor(y, dtype=torch.long)
