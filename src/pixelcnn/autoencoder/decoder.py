"""The deconvolutional decoder of the MSE auto-encoder baseline: h (B, m) -> an image of floats in [0, 1]."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from pixelcnn.autoencoder.encoders import downsampled_size


class DeconvDecoder(nn.Module):
    """Mirror of ``ConvEncoder``: a linear map to (channels[0], H/2^n, W/2^n), then one 4x4 stride-2 transposed
    conv + ReLU per entry of ``channels`` (n = len(channels)), a 3x3 conv to C channels and a sigmoid.

    h (B, latent_dim) -> (B, C, H, W) floats in [0, 1].
    """

    def __init__(self, image_shape: Sequence[int], latent_dim: int, channels: Sequence[int] = (256, 128, 64)) -> None:
        super().__init__()
        self.image_shape = tuple(int(s) for s in image_shape)
        height, width = downsampled_size(self.image_shape, len(channels), "deconv decoder")
        self.start_shape = (int(channels[0]), height, width)
        self.from_code = nn.Linear(latent_dim, channels[0] * height * width)
        layers: list[nn.Module] = [nn.ReLU()]
        for in_channels, out_channels in zip(channels, [*channels[1:], channels[-1]], strict=True):
            layers += [nn.ConvTranspose2d(in_channels, out_channels, 4, stride=2, padding=1), nn.ReLU()]
        layers.append(nn.Conv2d(channels[-1], self.image_shape[0], 3, padding=1))
        self.upsample = nn.Sequential(*layers)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        """h (B, latent_dim) -> (B, C, H, W) in [0, 1]."""
        start = self.from_code(h).view(h.shape[0], *self.start_shape)
        return torch.sigmoid(self.upsample(start))
