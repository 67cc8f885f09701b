"""The model kinds users know, as thin subclasses of ``PixelCNNModule`` (each trains one ``PixelCNNNetwork``,
``self.net``): each names its default conditioner.

Presets: ``model=gated`` (unconditional), ``gated_cond`` (class bias, Eq. 4), ``gated_embed`` (``V^T h``, Eq. 4),
``gated_spatial`` (deconv map ``m(h)`` + 1x1, Eq. 5). In Python, the conditioner's own arguments can be given
directly: ``ClassConditionalPixelCNN(shape, K, num_classes=10)``, ``EmbeddingConditionalPixelCNN(shape, K,
cond_dim=64)``. The auto-encoder is in ``models/autoencoder.py``.
"""

from __future__ import annotations

from pixelcnn.conditioning.class_bias import ClassConditioner
from pixelcnn.conditioning.spatial import SpatialConditioner
from pixelcnn.conditioning.vector import VectorConditioner
from pixelcnn.models.pixelcnn import PixelCNNModule


class PixelCNN(PixelCNNModule):
    """Unconditional: p(x) = prod_i p(x_i | x_<i)."""


class ClassConditionalPixelCNN(PixelCNNModule):
    """p(x | y) with ``cond`` a LongTensor (B,) of class ids in [0, num_classes)."""

    default_conditioner = ClassConditioner


class EmbeddingConditionalPixelCNN(PixelCNNModule):
    """p(x | h) with ``cond`` a FloatTensor (B, cond_dim), e.g. a triplet-loss embedding of a portrait."""

    default_conditioner = VectorConditioner

    @property
    def cond_dim(self) -> int:
        return self.conditioner.cond_dim


class SpatialConditionalPixelCNN(EmbeddingConditionalPixelCNN):
    """p(x | h) with h entering every layer as a map ``V * m(h)`` (B, 4*hidden, H, W) instead of one bias."""

    default_conditioner = SpatialConditioner
