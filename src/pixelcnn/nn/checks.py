"""Backbone sizes checked up front: a wrong value is one line naming the config key, not a traceback later."""

from __future__ import annotations

from collections.abc import Sequence

from pixelcnn.errors import ConfigValueError


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
