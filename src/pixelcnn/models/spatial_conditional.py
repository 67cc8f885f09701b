"""Location-dependent conditional PixelCNN (``model=gated_spatial``, Eq. 5): h -> deconv map s -> 1x1 conv."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pixelcnn.conditioning.spatial import SpatialConditioner
from pixelcnn.models.embedding_conditional import EmbeddingConditionalPixelCNN


class SpatialConditionalPixelCNN(EmbeddingConditionalPixelCNN):
    """p(x | h) where h enters every layer as a map ``V * m(h)`` (B, 4*hidden, H, W) instead of one bias.

    ``spatial``: ``map_channels`` (channels S of s) and ``num_upsample`` (stride-2 deconvs in m).
    """

    kind = "gated_spatial"

    def __init__(
        self,
        image_shape: Sequence[int],
        num_levels: int,
        cond_dim: int | None,
        backbone: Mapping[str, Any] | None = None,
        spatial: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        spatial = {"map_channels": 16, "num_upsample": 2, **dict(spatial or {})}
        super().__init__(image_shape, num_levels, cond_dim, backbone, spatial=spatial, **kwargs)

    def build_conditioner(self) -> SpatialConditioner:
        spatial = self.hparams.spatial
        return SpatialConditioner(
            self.cond_dim,
            self.backbone.num_layers,
            self.backbone.cond_channels,
            image_size=self.image_shape[1:],
            map_channels=int(spatial["map_channels"]),
            num_upsample=int(spatial["num_upsample"]),
        )
