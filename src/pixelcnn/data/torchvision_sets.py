"""MNIST (8-bit or binarized) and CIFAR-10 through torchvision, read whole into memory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from pixelcnn.data.arrays import ImageArrayDataset
from pixelcnn.data.base import DIGITS, ImageDataModule
from pixelcnn.errors import DataNotFoundError, DataValidationError


class TorchvisionDataModule(ImageDataModule):
    """A torchvision data set with train/test splits; val is a seeded hold-out of train."""

    dataset_name = ""
    files_hint = ""

    def __init__(self, data_dir: str, download: bool = False, val_size: int = 5000, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.data_dir = str(data_dir)
        self.download = download
        self.val_size = val_size

    def open(self, train: bool) -> Any:
        raise NotImplementedError

    def to_levels(self, data: np.ndarray) -> np.ndarray:
        """Raw uint8 images from torchvision -> (N,C,H,W) integer levels."""
        raise NotImplementedError

    def check_available(self) -> None:
        if not self.download:
            self.read(train=False)

    def prepare_data(self) -> None:
        if not self.download:
            return
        for train in (True, False):
            try:
                self.open(train)
            except (OSError, RuntimeError) as error:  # no network (URLError is an OSError), or every mirror failed
                reason = str(getattr(error, "reason", "") or error).splitlines()[0]
                raise DataNotFoundError(
                    f"could not download {self.dataset_name} into {Path(self.data_dir).resolve()} ({reason}); "
                    f"check the internet connection, or copy the files there by hand ({self.files_hint}) and run "
                    "without data.download=true"
                ) from error

    def read(self, train: bool) -> tuple[np.ndarray, np.ndarray]:
        try:
            dataset = self.open(train)
        except RuntimeError as error:  # torchvision: "Dataset not found or corrupted"
            raise DataNotFoundError(
                f"{self.dataset_name} not found under {Path(self.data_dir).resolve()} ({self.files_hint}); "
                f"run with data.download=true on a machine with internet, or copy the files there "
                f"and set data.data_dir"
            ) from error
        return self.to_levels(np.asarray(dataset.data)), np.asarray(dataset.targets, dtype=np.int64)

    def load_splits(self) -> dict[str, ImageArrayDataset]:
        images, labels = self.read(train=True)
        train, val = self.split_off(images, labels, self.val_size)
        return {"train": train, "val": val, "test": ImageArrayDataset(*self.read(train=False))}


class MNISTDataModule(TorchvisionDataModule):
    """MNIST 28x28: 256 levels, or 2 with ``binarize=true`` (pixel >= 128 -> 1)."""

    name = dataset_name = "MNIST"
    class_names = DIGITS
    files_hint = "expected MNIST/raw/train-images-idx3-ubyte etc."

    def __init__(self, binarize: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.binarize = binarize
        expected = 2 if binarize else 256
        if self.num_levels != expected:
            raise DataValidationError(
                f"MNIST with binarize={binarize} has {expected} levels but data.num_levels is {self.num_levels}"
            )

    def open(self, train: bool) -> Any:
        from torchvision.datasets import MNIST

        return MNIST(self.data_dir, train=train, download=self.download)

    def to_levels(self, data: np.ndarray) -> np.ndarray:
        images = data[:, None, :, :]
        return (images >= 128).astype(np.uint8) if self.binarize else images.astype(np.uint8)


class CIFAR10DataModule(TorchvisionDataModule):
    """CIFAR-10 32x32 RGB, 256 levels, 10 classes."""

    name = dataset_name = "CIFAR-10"
    class_names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
    files_hint = "expected cifar-10-batches-py/data_batch_1..5 and test_batch"

    def open(self, train: bool) -> Any:
        from torchvision.datasets import CIFAR10

        return CIFAR10(self.data_dir, train=train, download=self.download)

    def to_levels(self, data: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(data.transpose(0, 3, 1, 2))
