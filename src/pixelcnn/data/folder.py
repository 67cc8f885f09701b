"""Any folder of PNG / JPEG images as a data set: centre-cropped, resized, quantized to K levels, converted once."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any

import numpy as np

from pixelcnn.data.arrays import ImageArrayDataset
from pixelcnn.data.base import ImageDataModule
from pixelcnn.data.cache import image_cache
from pixelcnn.data.celeba import crop_and_resize
from pixelcnn.errors import DataNotFoundError, DataValidationError

log = logging.getLogger("pixelcnn")
SUFFIXES = (".png", ".jpg", ".jpeg")


def quantize(pixels: np.ndarray, num_levels: int) -> np.ndarray:
    """uint8 values 0..255 -> levels 0..K-1 (K equal-width bins; K=256 keeps them)."""
    return (pixels.astype(np.uint16) * num_levels // 256).astype(np.uint8)


SIXTEEN_BIT = ("I;16", "I;16B", "I;16L", "I;16N", "I")  # Pillow's modes of 16-bit grey PNGs
CACHE_VERSION = 2  # bump when the conversion changes: 2 keeps 16-bit images' range


def image_files(root: Path) -> tuple[list[Path], list[int] | None, list[str]]:
    """The PNG / JPEG files under ``root`` and, when they lie in sub-folders, one class per sub-folder (sorted).

    Class folders next to images at the top level are refused: those images would have no class.
    """
    files = sorted(p for p in root.rglob("*") if p.suffix.lower() in SUFFIXES and p.is_file())
    classes = sorted({p.parent.relative_to(root).parts[0] for p in files if p.parent != root})
    if not classes:
        return files, None, []
    loose = [p.name for p in files if p.parent == root]
    if loose:
        raise DataValidationError(
            f"data=folder: {root} mixes {len(loose)} image{'s' if len(loose) > 1 else ''} at its top level "
            f"({', '.join(loose[:3])}{', ...' if len(loose) > 3 else ''}) with class folders ({', '.join(classes[:5])}"
            f"{', ...' if len(classes) > 5 else ''}); move the top-level images into a class folder, or the class "
            "folders' images up, so that either every image has a class or none has"
        )
    return files, [classes.index(p.relative_to(root).parts[0]) for p in files], classes


def other_files(root: Path) -> dict[str, int]:
    """How many files under ``root`` are not PNG / JPEG, by suffix (hidden files and folders left out)."""
    counts: dict[str, int] = {}
    for path in root.rglob("*"):
        hidden = any(part.startswith(".") for part in path.relative_to(root).parts)
        if path.is_file() and not hidden and path.suffix.lower() not in SUFFIXES:
            counts[path.suffix.lower() or "no suffix"] = counts.get(path.suffix.lower() or "no suffix", 0) + 1
    return counts


def to_8_bit(image: Any) -> Any:
    """A PIL image with 16-bit grey values scaled to 0..255 (an "L" image); any other image unchanged.

    Pillow's own ``convert("L")`` clips 16-bit values at 255, turning most of the image white; it already scales
    16-bit RGB PNGs to 8 bits when it reads them.
    """
    from PIL import Image

    if image.mode not in SIXTEEN_BIT:
        return image
    values = np.asarray(image, dtype=np.float64)
    return Image.fromarray(np.clip(np.rint(values * 255 / 65535), 0, 255).astype(np.uint8), mode="L")


def skipped_line(unreadable: int, others: dict[str, int], total: int) -> str | None:
    """The one log line of what was skipped and why, or None when nothing was."""
    if not unreadable and not others:
        return None
    parts = [f"{unreadable} not readable as images"] if unreadable else []
    if others:
        kinds = ", ".join(f"{count} {suffix}" for suffix, count in sorted(others.items()))
        parts.append(f"{sum(others.values())} not PNG / JPEG ({kinds})")
    return f"data=folder: skipped {unreadable + sum(others.values())} of {total} files: {'; '.join(parts)}"


class FolderDataModule(ImageDataModule):
    """``data=folder data.path=/my/images data.image_size=32``: every PNG / JPEG under ``path`` (one sub-folder per
    class, optionally), centre-cropped to a square, resized to ``image_size`` and quantized to ``num_levels``.

    Converted once to ``cache_dir/<fingerprint>.npy`` (memory-mapped after that; a changed folder gets a new
    fingerprint). Files that are not readable PNG / JPEG images are skipped and counted in one log line; 16-bit
    images are scaled to 8 bits first. Seeded val / test hold-outs of ``val_fraction`` / ``test_fraction``.
    """

    name = "folder"

    def __init__(
        self,
        path: str,
        cache_dir: str,
        image_size: int | None = None,
        channels: int | None = None,
        val_fraction: float = 0.1,
        test_fraction: float = 0.1,
        **kwargs: Any,
    ) -> None:
        """``image_size`` / ``channels`` are what the config's ``image_shape`` is built from (checked against it)."""
        super().__init__(**kwargs)
        self.path = Path(path)
        self.cache_dir = Path(cache_dir)
        self.val_fraction, self.test_fraction = val_fraction, test_fraction
        shape = (channels or self.image_shape[0], image_size or self.image_shape[1], image_size or self.image_shape[2])
        if self.image_shape[0] not in (1, 3) or self.image_shape[1] != self.image_shape[2] or shape != self.image_shape:
            raise DataValidationError(
                f"data=folder gives square grey or RGB images of data.image_size: data.image_shape must be "
                f"[1|3, S, S] = [data.channels, data.image_size, data.image_size], got {list(self.image_shape)}"
            )
        self.skipped = 0
        self.class_folders: list[str] = []  # the sub-folder names, once set up: the class names

    @property
    def class_names(self) -> list[str] | None:
        return self.class_folders or super().class_names

    def check_available(self) -> None:
        if not self.path.is_dir():
            hint = "pass a folder of PNG / JPEG files"
            raise DataNotFoundError(f"data.path {self.path.resolve()} is not a folder; {hint}")

    def load_splits(self) -> dict[str, ImageArrayDataset]:
        self.check_available()
        files, labels, classes = image_files(self.path)
        if self.num_classes is not None and labels is not None and self.num_classes != len(classes):
            raise DataValidationError(
                f"{self.path} has {len(classes)} class folders ({', '.join(classes)}) but data.num_classes is "
                f"{self.num_classes}"
            )
        self.class_folders = classes
        images, kept = self.cached(files)
        others = other_files(self.path)
        line = skipped_line(self.skipped, others, len(files) + sum(others.values()))
        if line is not None:
            log.warning(line)
        labels_array = None if labels is None else np.asarray(labels, dtype=np.int64)[kept]
        n = len(images)
        val, test = max(1, round(n * self.val_fraction)), max(1, round(n * self.test_fraction))
        if n < val + test + 1:
            raise DataNotFoundError(f"{self.path} holds {n} readable PNG / JPEG images; at least 3 are needed")
        rest, test_set = self.split_off(images, labels_array, test)
        train, val_set = self.split_off(images, labels_array, val, indices=rest.indices)
        return {"train": train, "val": val_set, "test": test_set}

    def cached(self, files: list[Path]) -> tuple[np.ndarray, np.ndarray]:
        """The images of ``files`` that could be read, (N,C,S,S) levels (memory map), and their indices in files."""
        channels, size, _ = self.image_shape
        stamp = "\n".join(f"{p}:{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in files)
        key = hashlib.sha1(f"{stamp}|{self.image_shape}|{self.num_levels}|{CACHE_VERSION}".encode()).hexdigest()[:16]
        images_path, kept_path = self.cache_dir / f"{key}.npy", self.cache_dir / f"{key}_kept.npy"
        if not images_path.exists() or not kept_path.exists():
            self.convert(files, images_path, kept_path)
        kept = np.load(kept_path)
        self.skipped = len(files) - len(kept)
        return np.load(images_path, mmap_mode="r"), kept

    def convert(self, files: list[Path], images_path: Path, kept_path: Path) -> None:
        from PIL import Image, UnidentifiedImageError

        channels, size, _ = self.image_shape
        converted, kept = [], []
        for index, file in enumerate(files):
            try:
                with Image.open(file) as image:
                    pixels = crop_and_resize(to_8_bit(image), max(image.size), size, "L" if channels == 1 else "RGB")
            except (OSError, UnidentifiedImageError, ValueError):
                continue
            converted.append(quantize(pixels, self.num_levels))
            kept.append(index)
        if not kept:
            raise DataNotFoundError(f"no readable PNG / JPEG images under {self.path.resolve()}")
        with image_cache(images_path, (len(kept), channels, size, size)) as images:
            images[:] = np.stack(converted)
        np.save(kept_path, np.asarray(kept, dtype=np.int64))
