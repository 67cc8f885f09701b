"""Checks that a data set's images fit the model's (C,H,W) and number of levels, naming the offender."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from pixelcnn.errors import DataValidationError


def check_images(images: np.ndarray, image_shape: Sequence[int], num_levels: int, source: str) -> None:
    """Raise ``DataValidationError`` unless ``images`` is integer (N,C,H,W) with levels in [0, num_levels).

    ``source`` names the file or data set in the message.
    """
    expected = tuple(int(s) for s in image_shape)
    if images.ndim != 4:
        raise DataValidationError(
            f"{source}: expected images of shape (N, {', '.join(map(str, expected))}), got {images.shape}"
        )
    if tuple(images.shape[1:]) != expected:
        raise DataValidationError(
            f"{source}: images are (C,H,W)={tuple(images.shape[1:])} but data.image_shape is {list(expected)}; "
            "set data.image_shape to match the files or use the files made for this resolution"
        )
    if not np.issubdtype(images.dtype, np.integer):
        raise DataValidationError(f"{source}: images must hold integer levels, got dtype {images.dtype}")
    if len(images) == 0:
        raise DataValidationError(f"{source}: holds no images")
    if images.dtype == np.uint8 and num_levels >= 256:
        return  # every uint8 is a valid level: skip scanning (possibly memory-mapped) gigabytes
    per_image_max = images.reshape(len(images), -1).max(axis=1)
    per_image_min = images.reshape(len(images), -1).min(axis=1)
    bad = np.flatnonzero((per_image_max >= num_levels) | (per_image_min < 0))
    if bad.size:
        i = int(bad[0])
        raise DataValidationError(
            f"{source}: image {i} has levels in [{per_image_min[i]}, {per_image_max[i]}], outside "
            f"[0, {num_levels}); set data.num_levels to match the data"
        )


def check_model_fits_data(model: Any, data: Any, fix: str, what: str = "the model", given_by: str = "the data") -> None:
    """One line (``DataValidationError``) unless ``model`` takes the images ``data`` gives: the same [C, H, W] and
    number of levels. Both only need ``image_shape`` and ``num_levels`` (a model, a data module, another model)."""
    takes = (list(model.image_shape), int(model.num_levels))
    gives = (list(data.image_shape), int(data.num_levels))
    if takes != gives:
        raise DataValidationError(
            f"{what} takes {takes[0]} images with {takes[1]} levels but {given_by} gives {gives[0]} with {gives[1]}; "
            f"{fix}"
        )
