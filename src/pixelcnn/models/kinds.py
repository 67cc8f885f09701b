"""The model kinds users know, as thin subclasses of ``PixelCNNModule``: each names its default conditioner.

Presets: ``model=gated`` (unconditional), ``gated_cond`` (class bias, Eq. 4), ``gated_embed`` (``V^T h``, Eq. 4),
``gated_spatial`` (deconv map ``m(h)`` + 1x1, Eq. 5). The auto-encoder is in ``models/autoencoder.py``.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from pixelcnn.checkpoints.registry import as_factory
from pixelcnn.conditioning.class_bias import ClassConditioner
from pixelcnn.conditioning.spatial import SpatialConditioner
from pixelcnn.conditioning.vector import VectorConditioner
from pixelcnn.models.pixelcnn import PixelCNNModule


def with_default(conditioner: Any, default: type, **fixed: Any) -> Any:
    """The conditioner factory with ``fixed`` keyword arguments (those that are not None) bound."""
    factory = as_factory(conditioner, default, "conditioner")
    given = {k: v for k, v in fixed.items() if v is not None}
    return functools.partial(factory, **given) if given else factory


class PixelCNN(PixelCNNModule):
    """Unconditional: p(x) = prod_i p(x_i | x_<i)."""


class ClassConditionalPixelCNN(PixelCNNModule):
    """p(x | y) with ``cond`` a LongTensor (B,) of class ids in [0, num_classes)."""

    default_conditioner = ClassConditioner

    def __init__(
        self, image_shape: Sequence[int], num_levels: int, num_classes: int | None = None, conditioner: Any = None,
        **parts: Any,
    ) -> None:
        conditioner = with_default(conditioner, ClassConditioner, num_classes=num_classes)
        super().__init__(image_shape, num_levels, conditioner=conditioner, **parts)


class EmbeddingConditionalPixelCNN(PixelCNNModule):
    """p(x | h) with ``cond`` a FloatTensor (B, cond_dim), e.g. a triplet-loss embedding of a portrait."""

    default_conditioner = VectorConditioner

    def __init__(
        self, image_shape: Sequence[int], num_levels: int, cond_dim: int | None = None, conditioner: Any = None,
        **parts: Any,
    ) -> None:
        conditioner = with_default(conditioner, self.default_conditioner, cond_dim=cond_dim)
        super().__init__(image_shape, num_levels, conditioner=conditioner, **parts)
        self.cond_dim: int = self.conditioner.cond_dim


class SpatialConditionalPixelCNN(EmbeddingConditionalPixelCNN):
    """p(x | h) with h entering every layer as a map ``V * m(h)`` (B, 4*hidden, H, W) instead of one bias."""

    default_conditioner = SpatialConditioner
