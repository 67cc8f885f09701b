"""sklearn's 8x8 handwritten digits: 1797 real images, 17 levels (0..16), 10 classes. Ships offline."""

from __future__ import annotations

from typing import Any

import numpy as np

from pixelcnn.data.arrays import ImageArrayDataset
from pixelcnn.data.base import DIGITS, ImageDataModule


class DigitsDataModule(ImageDataModule):
    """Seeded split of ``sklearn.datasets.load_digits`` into train / val / test."""

    name = "digits"
    class_names = DIGITS

    def __init__(self, val_size: int = 200, test_size: int = 297, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.val_size = val_size
        self.test_size = test_size

    def load_splits(self) -> dict[str, ImageArrayDataset]:
        from sklearn.datasets import load_digits

        digits = load_digits()
        images = digits.images.astype(np.int64)[:, None, :, :]
        labels = digits.target.astype(np.int64)
        rest, test = self.split_off(images, labels, self.test_size)
        train, val = self.split_off(images, labels, self.val_size, indices=rest.indices)
        return {"train": train, "val": val, "test": test}
