"""Backbone sizes checked up front: a wrong value is one line naming the config key, not a traceback later."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from pixelcnn.errors import ConfigValueError, InputError, check_range


def check_backbone(
    image_channels: int,
    num_levels: int,
    num_layers: int,
    kernels: dict[str, int],
    widths: dict[str, int],
    dropout: float,
) -> None:
    """Raise ``ConfigValueError`` naming ``model.backbone.<key>`` for the first value the backbone cannot use.

    ``kernels``: name -> kernel size (odd, >= 1); ``widths``: name -> channels (at least one per image channel: the
    masked convolutions give every image channel its own group of features).
    """
    for name, k in kernels.items():
        if k < 1 or k % 2 == 0:
            raise ConfigValueError(
                f"model.backbone.{name}={k}: a kernel size must be an odd positive integer (3, 5, 7)"
            )
    if num_layers < 1:
        raise ConfigValueError(f"model.backbone.num_layers={num_layers}: must be >= 1")
    if num_levels < 2:
        raise ConfigValueError(f"num_levels={num_levels}: must be >= 2")
    for name, width in widths.items():
        if width < image_channels:
            raise ConfigValueError(
                f"model.backbone.{name}={width} is fewer than the {image_channels} image channels; use at least "
                f"{image_channels} (every image channel needs its own group of features)"
            )
    if not 0 <= dropout < 1:
        raise ConfigValueError(f"model.backbone.dropout={dropout}: must lie in [0, 1)")


def check_context(scales: int, channels: int, layers: int | None = None, num_layers: int = 1) -> None:
    """Raise ``ConfigValueError`` naming ``model.backbone.<key>`` for a context path the backbone cannot build."""
    if layers is not None and not 1 <= layers <= num_layers:
        raise ConfigValueError(
            f"model.backbone.context_layers={layers}: must lie in [1, num_layers={num_layers}] (null: every layer)"
        )
    if scales < 0:
        raise ConfigValueError(f"model.backbone.context_scales={scales}: must be >= 0 (0: no context path)")
    if scales and channels < 1:
        raise ConfigValueError(f"model.backbone.context_channels={channels}: must be >= 1")


def check_kernels_fit(image_size: Sequence[int], kernels: dict[str, int]) -> None:
    """Raise ``ConfigValueError`` naming ``model.backbone.<key>`` for a kernel whose reach (``k // 2`` pixels each
    way) goes past an image of ``image_size`` (H, W) from every pixel: it would only ever see padding."""
    smallest = min(int(side) for side in image_size)
    for name, k in kernels.items():
        if k // 2 >= smallest:
            raise ConfigValueError(
                f"model.backbone.{name}={k} is too large for {'x'.join(str(s) for s in image_size)} images (it "
                f"reaches {k // 2} pixels each way); use at most {2 * smallest - 1}"
            )


def image_shape_of(image_shape: Sequence[int]) -> tuple[int, int, int]:
    """``[C, H, W]`` as a tuple of ints; ``InputError`` for any other length."""
    if len(image_shape) != 3:
        raise InputError(f"image_shape must be [C, H, W], got {list(image_shape)}")
    return (int(image_shape[0]), int(image_shape[1]), int(image_shape[2]))


def check_images(x: torch.Tensor, image_shape: tuple[int, int, int], num_levels: int) -> None:
    """Raise ``InputError`` unless x is an integer tensor (B,C,H,W) of ``image_shape`` with levels in [0, K)."""
    c, h, w = image_shape
    if not isinstance(x, torch.Tensor) or x.dtype.is_floating_point or x.dtype == torch.bool:
        raise InputError(f"x must be a LongTensor (B, {c}, {h}, {w}) of levels in [0, {num_levels})")
    if x.dim() != 4 or tuple(x.shape[1:]) != tuple(image_shape):
        raise InputError(
            f"x has shape {tuple(x.shape)} but this model takes (B, {c}, {h}, {w}) images; "
            f"check the data config's image size and channels"
        )
    check_range(x, num_levels, "the levels of x", f": this model has {num_levels} levels; quantize the images")
