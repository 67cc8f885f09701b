"""Class-conditional Gated PixelCNN (``model=gated_cond``): a learned bias per class in every layer (Eq. 4)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch

from pixelcnn.conditioning.class_bias import ClassConditioner
from pixelcnn.errors import InputError
from pixelcnn.models.base import PixelCNNModule


class ClassConditionalPixelCNN(PixelCNNModule):
    """p(x | y) with ``cond`` a LongTensor (B,) of class ids in [0, num_classes)."""

    kind = "gated_cond"

    def __init__(
        self,
        image_shape: Sequence[int],
        num_levels: int,
        num_classes: int | None,
        backbone: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        if not num_classes or int(num_classes) < 1:
            raise InputError(
                "model=gated_cond needs class labels but this data set has none (num_classes is "
                f"{num_classes}); choose a labelled data set or model=gated"
            )
        self.num_classes = int(num_classes)
        super().__init__(image_shape, num_levels, backbone, num_classes=self.num_classes, **kwargs)

    def build_conditioner(self) -> ClassConditioner:
        return ClassConditioner(self.num_classes, self.backbone.num_layers, self.backbone.cond_channels)

    def batch_condition(self, batch: Sequence[torch.Tensor]) -> torch.Tensor:
        return batch[1]
