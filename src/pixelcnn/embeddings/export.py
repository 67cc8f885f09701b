"""Export (image, h) pairs: every image of a data set's splits with its embedding, into one ``.pt`` file that the
``embeddings`` data module reads for the conditional PixelCNN."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from tqdm import tqdm  # not tqdm.auto: without ipywidgets it warns in notebooks

from pixelcnn.data.base import ImageDataModule
from pixelcnn.data.validation import check_model_fits_data
from pixelcnn.embeddings.module import TripletEmbedder

FORMAT = "pixelcnn-embeddings/1"


def embed_split(
    embedder: TripletEmbedder, datamodule: ImageDataModule, split: str, progress: bool = True
) -> dict[str, torch.Tensor]:
    """{"images": (N,C,H,W) uint8 (int64 for K > 256), "h": (N,D) float32, "identities": (N,) int64}.

    ``progress``: a bar of batches embedded (tqdm, on stderr)."""
    images, embeddings, identities = [], [], []
    dtype = torch.uint8 if datamodule.num_levels <= 256 else torch.int64
    loader = datamodule.eval_dataloader(split)
    for batch in tqdm(loader, desc=f"embedding {split}", unit="batch", file=sys.stderr, disable=not progress):
        x, y = batch[0], batch[1]
        images.append(x.to(dtype))
        embeddings.append(embedder.embed(x))
        identities.append(y.long())
    return {"images": torch.cat(images), "h": torch.cat(embeddings), "identities": torch.cat(identities)}


def export_pairs(
    embedder: TripletEmbedder,
    datamodule: ImageDataModule,
    output: str | Path,
    splits: Sequence[str] = ("train", "val", "test"),
    source: str = "",
    progress: bool = True,
) -> dict[str, Any]:
    """Embed every image of ``splits`` and save the file; returns what was saved. ``progress``: a bar per split.

    The file loads with ``torch.load(weights_only=True)``: plain tensors, lists, strings and ints.
    """
    check_model_fits_data(embedder, datamodule, "pass the matching data=...", what="the embedder")
    datamodule.setup()
    content = {
        "format": FORMAT,
        "image_shape": list(datamodule.image_shape),
        "num_levels": datamodule.num_levels,
        "cond_dim": embedder.embedding_dim,
        "source": source,
        "splits": {split: embed_split(embedder, datamodule, split, progress) for split in splits},
    }
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    torch.save(content, output)
    return content
