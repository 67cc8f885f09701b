"""Downsampled ImageNet 32x32 / 64x64 from the official npz files (Chrabaszcz et al. 2017; van den Oord 2016)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from pixelcnn.data.arrays import ImageArrayDataset
from pixelcnn.data.base import ImageDataModule
from pixelcnn.data.cache import image_cache
from pixelcnn.errors import DataNotFoundError, DataValidationError

DOWNLOAD_HINT = (
    "download 'Downsampled ImageNet {res}x{res}' (Imagenet{res}_train_npz and Imagenet{res}_val_npz; for 64x64 "
    "the train set comes in two parts) from https://image-net.org/download-images after logging in, and unzip "
    "every train_data_batch_*.npz and val_data.npz into {folder}"
)


class ImageNetDataModule(ImageDataModule):
    """Reads ``{data_dir}/imagenet{res}/train_data_batch_*.npz`` and ``val_data.npz``.

    Each npz holds ``data`` (N, 3*res*res) uint8 in planar R, G, B order and ``labels`` (N,) in 1..1000. On
    first use they are converted once to ``cache/{split}_images.npy`` beside them and then memory-mapped, so
    the 64x64 train set (~15 GB) is never held in RAM. The official validation set is the test set (as in the
    paper); val is a seeded hold-out of train.
    """

    def __init__(
        self, data_dir: str, resolution: int, val_size: int = 10000, class_names_file: str | None = None, **kwargs: Any
    ) -> None:
        """``class_names_file``: a text file of one class name per line, line i naming class id i (npz label
        i + 1); the npz files carry no names, so figures say "class i" without it."""
        super().__init__(**kwargs)
        self.resolution = int(resolution)
        self.folder = Path(data_dir) / f"imagenet{self.resolution}"
        self.val_size = val_size
        self.name = f"ImageNet{self.resolution}"
        if self.image_shape != (3, self.resolution, self.resolution):
            raise DataValidationError(
                f"{self.name} images are (3, {self.resolution}, {self.resolution}) but data.image_shape is "
                f"{list(self.image_shape)}"
            )
        self.names = None if class_names_file is None else read_names(Path(class_names_file), self.num_classes)

    @property
    def class_names(self) -> list[str] | None:
        return self.names or super().class_names

    def source_files(self) -> dict[str, list[Path]]:
        files = {
            "train": sorted(self.folder.glob("train_data_batch_*.npz")),
            "test": [self.folder / "val_data.npz"] if (self.folder / "val_data.npz").exists() else [],
        }
        missing = [split for split, paths in files.items() if not paths]
        if missing:
            wanted = "train_data_batch_*.npz" if "train" in missing else "val_data.npz"
            hint = DOWNLOAD_HINT.format(res=self.resolution, folder=self.folder.resolve())
            raise DataNotFoundError(f"{self.name}: no {wanted} in {self.folder.resolve()}; {hint}")
        return files

    def check_available(self) -> None:
        self.source_files()

    def check_npz(self, path: Path) -> int:
        """The number of images in one npz; a one-line ``DataValidationError`` naming ``path`` for anything else
        than uint8 rows of 3*res*res levels and as many integer labels (corrupt file, object or float arrays)."""
        res = self.resolution
        try:
            with np.load(path) as npz:
                if "data" not in npz or "labels" not in npz:
                    raise DataValidationError(f"{path}: expected arrays 'data' and 'labels', found {list(npz)}")
                data, labels = npz["data"], npz["labels"]
        except DataValidationError:
            raise
        except Exception as error:  # a corrupt archive, pickled (object) arrays, a truncated member
            raise DataValidationError(
                f"{path}: cannot be read as an npz of plain arrays ({type(error).__name__}: {str(error)[:120]}); "
                "download it again"
            ) from error
        if data.ndim != 2 or data.shape[1] != 3 * res * res:
            raise DataValidationError(
                f"{path}: rows of {data.shape[1:]} values, expected {3 * res * res} (3x{res}x{res}); "
                f"is this the {res}x{res} download?"
            )
        if data.dtype != np.uint8:
            raise DataValidationError(f"{path}: 'data' holds {data.dtype} values; expected uint8 levels 0..255")
        if not np.issubdtype(labels.dtype, np.integer) or labels.shape != (len(data),):
            raise DataValidationError(
                f"{path}: 'labels' is {labels.dtype} {labels.shape}; expected {len(data)} integer labels, one per image"
            )
        return len(data)

    def convert(self, paths: list[Path], images_path: Path, labels_path: Path) -> None:
        """Write the npz batches into one (N,3,res,res) uint8 .npy and one labels .npy, batch by batch."""
        res = self.resolution
        counts = [self.check_npz(path) for path in paths]
        labels = np.empty(sum(counts), dtype=np.int64)
        with image_cache(images_path, (sum(counts), 3, res, res)) as images:
            start = 0
            for path, count in zip(paths, counts, strict=True):
                with np.load(path) as npz:
                    images[start : start + count] = npz["data"].reshape(count, 3, res, res)
                    labels[start : start + count] = npz["labels"].astype(np.int64) - 1
                start += count
            np.save(labels_path, labels)

    def read(self, split: str, paths: list[Path]) -> tuple[np.ndarray, np.ndarray]:
        """The cached arrays of ``split``; (re)built when missing or when a source file changed (size, mtime)."""
        cache = self.folder / "cache"
        images_path, labels_path = cache / f"{split}_images.npy", cache / f"{split}_labels.npy"
        stamp, fingerprint = cache / f"{split}_sources.json", source_fingerprint(paths)
        fresh = stamp.is_file() and json.loads(stamp.read_text()) == fingerprint
        if not (fresh and images_path.exists() and labels_path.exists()):
            stamp.unlink(missing_ok=True)
            self.convert(paths, images_path, labels_path)
            stamp.write_text(json.dumps(fingerprint))
        return np.load(images_path, mmap_mode="r"), np.load(labels_path)

    def load_splits(self) -> dict[str, ImageArrayDataset]:
        files = self.source_files()
        train_images, train_labels = self.read("train", files["train"])
        train, val = self.split_off(train_images, train_labels, self.val_size)
        return {"train": train, "val": val, "test": ImageArrayDataset(*self.read("test", files["test"]))}


def read_names(path: Path, num_classes: int | None) -> list[str]:
    """The non-empty lines of ``path``, one per class; a one-line error when the file or the count is wrong."""
    if not path.is_file():
        raise DataNotFoundError(f"data.class_names_file={path}: no such file; pass a text file of one name per line")
    names = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if num_classes is not None and len(names) != num_classes:
        raise DataValidationError(
            f"data.class_names_file={path} names {len(names)} classes but data.num_classes is {num_classes}; "
            "write one name per line, line i for class id i"
        )
    return names


def source_fingerprint(paths: list[Path]) -> list[list[Any]]:
    """[name, size, mtime in ns] of every source file: a cache built from other files is stale."""
    return [[path.name, path.stat().st_size, path.stat().st_mtime_ns] for path in paths]
