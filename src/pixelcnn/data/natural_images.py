"""The natural images that ship inside scikit-image and scikit-learn, readable with no network."""

from __future__ import annotations

import numpy as np

from pixelcnn.errors import DataNotFoundError

SKLEARN_IMAGES = ("china", "flower")


def load_natural_image(name: str, channels: int) -> np.ndarray:
    """A shipped image as uint8 (channels, H, W): ``china``/``flower`` from sklearn, else ``skimage.data.<name>``.

    Gray images are repeated to 3 channels; RGB images are averaged to 1 channel when ``channels == 1``.
    """
    if name in SKLEARN_IMAGES:
        from sklearn.datasets import load_sample_image

        image = load_sample_image(f"{name}.jpg")
    else:
        import skimage.data

        loader = getattr(skimage.data, name, None)
        if loader is None:
            raise DataNotFoundError(f"unknown image {name!r}: use one of skimage.data's images or {SKLEARN_IMAGES}")
        try:
            image = loader()
        except Exception as error:  # images beyond the shipped set need pooch and a network
            raise DataNotFoundError(
                f"skimage.data.{name} does not ship with scikit-image ({type(error).__name__}); pick a shipped "
                "image such as astronaut, coffee, chelsea, rocket, brick, grass or gravel"
            ) from error
    if isinstance(image, tuple):  # stereo pairs (e.g. stereo_motorcycle): take the left view
        image = image[0]
    image = np.asarray(image)
    if image.dtype == bool:
        image = image.astype(np.uint8) * 255
    if image.ndim == 2:
        image = image[:, :, None]
    image = image[:, :, :3].transpose(2, 0, 1)
    if channels == 1:
        return image.mean(axis=0, keepdims=True).round().astype(np.uint8)
    if image.shape[0] == 1:
        image = np.repeat(image, channels, axis=0)
    return image.astype(np.uint8)


def downscale(image: np.ndarray, factor: int) -> np.ndarray:
    """Average-pool (C,H,W) uint8 by an integer factor (crops the remainder)."""
    if factor <= 1:
        return image
    c, h, w = image.shape
    h, w = h // factor * factor, w // factor * factor
    blocks = image[:, :h, :w].reshape(c, h // factor, factor, w // factor, factor).astype(np.float64)
    return blocks.mean(axis=(2, 4)).round().astype(np.uint8)


def random_crops(image: np.ndarray, size: tuple[int, int], count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` crops (count, C, size_h, size_w) at uniform random positions of a (C,H,W) image."""
    _, h, w = image.shape
    crop_h, crop_w = size
    if h < crop_h or w < crop_w:
        raise ValueError(f"image of {h}x{w} is smaller than the {crop_h}x{crop_w} crop")
    tops = rng.integers(0, h - crop_h + 1, size=count)
    lefts = rng.integers(0, w - crop_w + 1, size=count)
    return np.stack([image[:, t : t + crop_h, s : s + crop_w] for t, s in zip(tops, lefts, strict=True)])
