"""Location-dependent conditioning (Eq. 5): a deconvolutional net maps h to a map s = m(h) of the image's size,
which enters every layer through an unmasked 1x1 conv ``V * s``."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from pixelcnn.conditioning.base import Conditioner
from pixelcnn.conditioning.vector import check_cond_dim, check_vector


class SpatialConditioner(Conditioner):
    """h (B, D) -> s (B, S, H, W) -> L biases (B, 4*hidden, H, W).

    m(h): a linear layer to a (S, ceil(H/2^n), ceil(W/2^n)) map, then ``n`` stride-2 transposed convs (each
    doubling the size), then a crop to exactly (H, W), so any H and W work, not only powers of two. ``s``
    depends on h alone, never on the image, so adding it to every pixel's pre-activation keeps causality.
    """

    def __init__(
        self,
        num_layers: int,
        cond_channels: int,
        image_size: tuple[int, int],
        *,
        cond_dim: int | None = None,
        map_channels: int = 16,
        num_upsample: int = 2,
    ) -> None:
        super().__init__(num_layers, cond_channels)
        self.cond_dim = check_cond_dim(cond_dim)
        self.image_size = (int(image_size[0]), int(image_size[1]))
        self.map_channels = map_channels
        self.num_upsample = max(0, int(num_upsample))
        scale = 2**self.num_upsample
        self.base_size = (math.ceil(self.image_size[0] / scale), math.ceil(self.image_size[1] / scale))
        self.to_map = nn.Linear(self.cond_dim, map_channels * self.base_size[0] * self.base_size[1])
        self.upsample = nn.ModuleList(
            nn.ConvTranspose2d(map_channels, map_channels, kernel_size=4, stride=2, padding=1)
            for _ in range(self.num_upsample)
        )
        # One unmasked 1x1 conv per layer, stored as one conv with L * cond_channels outputs.
        self.to_biases = nn.Conv2d(map_channels, num_layers * cond_channels, kernel_size=1)

    def validate(self, cond: torch.Tensor | None, batch_size: int) -> torch.Tensor:
        return check_vector(cond, batch_size, self.cond_dim)

    def spatial_map(self, cond: torch.Tensor) -> torch.Tensor:
        """m(h): (B, D) float -> s (B, map_channels, H, W)."""
        s = self.to_map(cond.to(self.to_map.weight.dtype))
        s = F.relu(s.view(-1, self.map_channels, *self.base_size))
        for up in self.upsample:
            s = F.relu(up(s))
        return s[:, :, : self.image_size[0], : self.image_size[1]]

    def forward(self, cond: torch.Tensor) -> list[torch.Tensor]:
        """(B, D) float -> L biases (B, cond_channels, H, W), the last (B, cond_channels/2, H, W)."""
        s, conv = self.spatial_map(cond), self.to_biases
        return self.used_biases(lambda rows: F.conv2d(s, conv.weight[rows], conv.bias[rows]))
