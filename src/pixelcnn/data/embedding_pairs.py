"""(image, h) pairs written by ``export_embeddings.py``: the data of the embedding-conditional PixelCNN."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from pixelcnn.data.arrays import ImageArrayDataset
from pixelcnn.data.base import SPLITS, ImageDataModule
from pixelcnn.errors import DataNotFoundError, DataValidationError

EXPORT_HINT = (
    "write it with: python export_embeddings.py ckpt_path=<embedder checkpoint> (it prints the data.path=... to pass)"
)


class ImageVectorDataset(ImageArrayDataset):
    """Items are (x LongTensor (C,H,W), h FloatTensor (D,), identity LongTensor ())."""

    def __init__(self, images: np.ndarray, vectors: np.ndarray, identities: np.ndarray) -> None:
        super().__init__(images, identities)
        if len(vectors) != len(images):
            raise ValueError(f"{len(images)} images but {len(vectors)} embeddings")
        self.vectors = vectors

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        x, identity = super().__getitem__(index)
        return x, torch.from_numpy(np.asarray(self.vectors[index], dtype=np.float32)), identity


class EmbeddingPairsDataModule(ImageDataModule):
    """Reads ``path`` (a ``.pt`` file of splits -> images, h, identities); checks it against the config.

    ``cond_dim`` must equal the file's embedding dimension (the model takes its ``cond_dim`` from here).
    """

    name = "embeddings"

    def __init__(self, path: str, cond_dim: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.path = Path(path)
        self.cond_dim = int(cond_dim)

    def check_available(self) -> None:
        if not self.path.is_file():
            raise DataNotFoundError(f"embeddings file {self.path.resolve()} not found; {EXPORT_HINT}")

    def read(self) -> dict[str, Any]:
        self.check_available()
        try:
            content = torch.load(self.path, map_location="cpu", weights_only=True)
        except Exception as error:
            raise DataValidationError(
                f"{self.path} is not a readable embeddings file ({type(error).__name__}); " + EXPORT_HINT
            ) from error
        if not isinstance(content, dict) or not isinstance(content.get("splits"), dict):
            raise DataValidationError(f"{self.path} holds no splits; {EXPORT_HINT}")
        return content

    def load_splits(self) -> dict[str, ImageArrayDataset]:
        content = self.read()
        file_dim = content.get("cond_dim")
        if file_dim != self.cond_dim:
            raise DataValidationError(
                f"{self.path} holds {file_dim}-dim embeddings but data.cond_dim is {self.cond_dim}; "
                f"set data.cond_dim={file_dim}"
            )
        datasets = {}
        for split in SPLITS:
            pairs = content["splits"].get(split)
            if pairs is None:
                raise DataValidationError(f"{self.path} has no {split} split; export it with splits=[train,val,test]")
            h = pairs["h"]
            if h.dim() != 2 or h.shape[1] != self.cond_dim or len(h) != len(pairs["images"]):
                raise DataValidationError(
                    f"{self.path} {split}: h has shape {tuple(h.shape)}, expected ({len(pairs['images'])}, "
                    f"{self.cond_dim})"
                )
            datasets[split] = ImageVectorDataset(
                pairs["images"].numpy(), h.float().numpy(), pairs["identities"].long().numpy()
            )
        return datasets
