"""LightningDataModule shared by every image data set: splits, validation, loaders."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytorch_lightning as pl
from torch.utils.data import DataLoader

from pixelcnn.data.arrays import ImageArrayDataset
from pixelcnn.data.samplers import evaluation_sampler
from pixelcnn.data.validation import check_images
from pixelcnn.errors import ConfigValueError

SPLITS = ("train", "val", "test")
DIGITS = [str(digit) for digit in range(10)]  # the class names of the digit data sets


class ImageDataModule(pl.LightningDataModule):
    """Subclasses implement ``load_splits`` -> {"train", "val", "test"}: ``ImageArrayDataset``.

    ``image_shape``, ``num_levels`` and ``num_classes`` come from the data config (the model reads them from
    there too); every split is checked against them once, at ``setup``.
    """

    name = "images"

    def __init__(
        self,
        image_shape: Sequence[int],
        num_levels: int,
        num_classes: int | None = None,
        batch_size: int = 64,
        eval_batch_size: int | None = None,
        num_workers: int = 0,
        seed: int = 0,
    ) -> None:
        super().__init__()
        self.image_shape = tuple(int(s) for s in image_shape)
        self.num_levels = int(num_levels)
        self.num_classes = None if num_classes is None else int(num_classes)
        for key, value in (("batch_size", batch_size), ("eval_batch_size", eval_batch_size or batch_size)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigValueError(f"data.{key}={value!r}: must be a positive integer")
        self.batch_size = batch_size
        self.eval_batch_size = eval_batch_size or batch_size
        self.num_workers = num_workers
        self.seed = seed
        self.datasets: dict[str, ImageArrayDataset] = {}

    @property
    def class_names(self) -> list[str] | None:
        """One name per class id, for labelled figures; "class 0", "class 1", ... unless a subclass knows better,
        None for unlabelled data."""
        return None if self.num_classes is None else [f"class {i}" for i in range(self.num_classes)]

    def load_splits(self) -> dict[str, ImageArrayDataset]:
        raise NotImplementedError

    def check_available(self) -> None:
        """Raise ``DataNotFoundError`` early (before a trainer starts) when the files are not there."""

    def setup(self, stage: str | None = None) -> None:
        if self.datasets:
            return
        datasets = self.load_splits()
        checked: set[int] = set()
        for split, dataset in datasets.items():
            if id(dataset.images) not in checked:
                check_images(dataset.images, self.image_shape, self.num_levels, f"{self.name} {split} set")
                checked.add(id(dataset.images))
        self.datasets = datasets

    def split_off(
        self, images: np.ndarray, labels: np.ndarray | None, holdout: int, indices: np.ndarray | None = None
    ) -> tuple[ImageArrayDataset, ImageArrayDataset]:
        """A seeded random split of ``images[indices]`` into (rest, held out), ``holdout`` images held out.

        Only index arrays are made: the images are not copied.
        """
        pool = np.arange(len(images)) if indices is None else indices
        if not 0 < holdout < len(pool):
            raise ValueError(f"cannot hold out {holdout} of {len(pool)} images")
        order = np.random.default_rng(self.seed).permutation(pool)
        rest, held = np.sort(order[holdout:]), np.sort(order[:holdout])
        return ImageArrayDataset(images, labels, rest), ImageArrayDataset(images, labels, held)

    def _loader(self, split: str, shuffle: bool, batch_size: int, trainer: pl.Trainer | None = None) -> DataLoader:
        self.setup()
        dataset = self.datasets[split]
        # Unshuffled (evaluation) loaders read each image once over all DDP ranks; training keeps Lightning's sampler.
        return DataLoader(
            dataset,
            batch_size=batch_size,
            shuffle=shuffle,
            sampler=None if shuffle else evaluation_sampler(dataset, trainer or self.trainer),
            num_workers=self.num_workers,
            persistent_workers=self.num_workers > 0,
            drop_last=False,
        )

    def train_dataloader(self) -> DataLoader:
        return self._loader("train", shuffle=True, batch_size=self.batch_size)

    def val_dataloader(self) -> DataLoader:
        return self._loader("val", shuffle=False, batch_size=self.eval_batch_size)

    def test_dataloader(self) -> DataLoader:
        return self._loader("test", shuffle=False, batch_size=self.eval_batch_size)

    def eval_dataloader(self, split: str, trainer: pl.Trainer | None = None) -> DataLoader:
        """Unshuffled loader of any split, for evaluating bits/dim on train, val or test; under DDP pass the
        ``trainer`` that will run it (each of its processes reads its share of the images)."""
        if split not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
        return self._loader(split, shuffle=False, batch_size=self.eval_batch_size, trainer=trainer)
