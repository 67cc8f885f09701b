"""CelebA with identity labels (torchvision layout), centre-cropped and resized to a square; converted once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from pixelcnn.data.arrays import ImageArrayDataset
from pixelcnn.data.base import ImageDataModule
from pixelcnn.data.cache import image_cache
from pixelcnn.errors import DataNotFoundError, DataValidationError

TORCHVISION_SPLITS = {"train": "train", "val": "valid", "test": "test"}


def crop_and_resize(image: Any, crop_size: int, size: int, mode: str = "RGB") -> np.ndarray:
    """PIL image -> (C, size, size) uint8 (C=3 for mode RGB, 1 for L): a centred ``crop_size`` square (at most the
    image's short side), then an area resize."""
    from PIL import Image

    width, height = image.size
    crop = min(crop_size, width, height)
    left, top = (width - crop) // 2, (height - crop) // 2
    square = image.convert(mode).crop((left, top, left + crop, top + crop))
    pixels = np.asarray(square.resize((size, size), Image.Resampling.BOX), dtype=np.uint8)
    return pixels[None] if pixels.ndim == 2 else pixels.transpose(2, 0, 1)


class CelebADataModule(ImageDataModule):
    """CelebA's official train / valid / test partition with ``identity`` labels (0-based ids).

    The images are converted once to ``{data_dir}/celeba/cache/{split}_{size}.npy`` (memory-mapped after that).
    """

    name = "CelebA"

    def __init__(self, data_dir: str, crop_size: int = 148, download: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.data_dir = Path(data_dir)
        self.crop_size = int(crop_size)
        self.download = download
        channels, height, width = self.image_shape
        if channels != 3 or height != width:
            raise DataValidationError(
                f"CelebA gives square RGB images: data.image_shape must be [3, S, S], got {list(self.image_shape)}"
            )
        self.size = height

    def open(self, split: str) -> Any:
        from torchvision.datasets import CelebA

        try:
            return CelebA(str(self.data_dir), split=split, target_type="identity", download=self.download)
        except RuntimeError as error:  # torchvision: "Dataset not found or corrupted"
            raise DataNotFoundError(
                f"CelebA not found under {(self.data_dir / 'celeba').resolve()} (expected img_align_celeba/, "
                "identity_CelebA.txt, list_eval_partition.txt, list_attr_celeba.txt, list_bbox_celeba.txt, "
                "list_landmarks_align_celeba.txt); download it from the CelebA site (or data.download=true where "
                "Google Drive is reachable) and set data.data_dir"
            ) from error

    def check_available(self) -> None:
        if not self.download and not all(self.cache_paths(s)[0].exists() for s in TORCHVISION_SPLITS):
            self.open("test")

    def prepare_data(self) -> None:
        if self.download:
            self.open("all")

    def cache_paths(self, split: str) -> tuple[Path, Path]:
        cache = self.data_dir / "celeba" / "cache"
        return cache / f"{split}_{self.size}.npy", cache / f"{split}_{self.size}_identities.npy"

    def convert(self, split: str, images_path: Path, identities_path: Path) -> None:
        """Crop and resize every image of one split into a (N, 3, S, S) uint8 .npy, written under a temporary name."""
        dataset = self.open(TORCHVISION_SPLITS[split])
        with image_cache(images_path, (len(dataset), 3, self.size, self.size)) as images:
            for i in range(len(dataset)):
                try:
                    images[i] = crop_and_resize(dataset[i][0], self.crop_size, self.size)
                except (OSError, ValueError) as error:  # PIL: not an image, truncated; the partial cache goes
                    name = dataset.filename[i] if hasattr(dataset, "filename") else f"image {i}"
                    raise DataValidationError(
                        f"CelebA {split}: {name} under {self.data_dir / 'celeba'} is not a readable image "
                        f"({type(error).__name__}); replace it with the original file"
                    ) from error
            np.save(identities_path, dataset.identity.numpy().reshape(-1).astype(np.int64) - 1)

    def load_splits(self) -> dict[str, ImageArrayDataset]:
        datasets = {}
        for split in TORCHVISION_SPLITS:
            images_path, identities_path = self.cache_paths(split)
            if not images_path.exists() or not identities_path.exists():
                self.convert(split, images_path, identities_path)
            datasets[split] = ImageArrayDataset(np.load(images_path, mmap_mode="r"), np.load(identities_path))
        return datasets
