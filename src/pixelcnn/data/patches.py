"""32x32 RGB crops of the natural images shipped in scikit-image / scikit-learn; test images are never trained on."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from pixelcnn.data.arrays import ImageArrayDataset
from pixelcnn.data.base import ImageDataModule
from pixelcnn.data.natural_images import downscale, load_natural_image, random_crops
from pixelcnn.errors import DataValidationError


class PatchesDataModule(ImageDataModule):
    """Random crops of whole images; each split draws from its own list of images.

    Labels are the index of the source image within its split's list (used as identities by the texture data).
    """

    name = "patches"

    def __init__(
        self,
        train_images: Sequence[str],
        val_images: Sequence[str],
        test_images: Sequence[str],
        patches_per_image: Sequence[int] = (512, 128, 128),
        downscale_factor: int = 2,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.image_lists = {"train": list(train_images), "val": list(val_images), "test": list(test_images)}
        overlap = set(train_images) & (set(val_images) | set(test_images))
        if overlap:
            raise DataValidationError(
                f"patches: images {sorted(overlap)} are in train and in val/test; keep them apart"
            )
        self.patches_per_image = dict(zip(("train", "val", "test"), patches_per_image, strict=True))
        self.downscale_factor = downscale_factor

    def crops_of(self, names: Sequence[str], count: int, rng: np.random.Generator) -> ImageArrayDataset:
        channels, height, width = self.image_shape
        crops, labels = [], []
        for label, name in enumerate(names):
            image = downscale(load_natural_image(name, channels), self.downscale_factor)
            crops.append(random_crops(image, (height, width), count, rng))
            labels.append(np.full(count, label, dtype=np.int64))
        return ImageArrayDataset(np.concatenate(crops), np.concatenate(labels))

    def load_splits(self) -> dict[str, ImageArrayDataset]:
        rng = np.random.default_rng(self.seed)
        return {
            split: self.crops_of(names, self.patches_per_image[split], rng) for split, names in self.image_lists.items()
        }
