"""Encoders of the auto-encoders (section 3.4): images of levels (B,C,H,W) -> a bottleneck code h (B, m).

Every encoder ends with a layer norm without learned scale: h has zero mean and unit variance over its m entries,
so its scale cannot grow until ``V^T h`` saturates the decoder's gates (which stalls training).

Chosen in config by ``conf/model/encoder/<name>.yaml`` (a ``_partial_`` ``_target_``; the model fills in
``image_shape``, ``num_levels`` and ``latent_dim``): ``conv`` is a small stack of strided convs, ``timm`` any timm
backbone (``pretrained=False`` by default, so nothing is downloaded).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from pixelcnn.autoencoder.timm_net import create_timm_model
from pixelcnn.checkpoints.registry import as_factory, factory_spec
from pixelcnn.errors import InputError
from pixelcnn.nn.scale import levels_to_signed


def normalize_code(h: torch.Tensor) -> torch.Tensor:
    """(B, m) -> (B, m) with zero mean and unit variance over the m entries of each code."""
    return F.layer_norm(h, h.shape[-1:])


def check_latent_dim(latent_dim: int) -> None:
    if int(latent_dim) < 2:
        raise InputError(f"latent_dim (the bottleneck size m) must be >= 2 (h is layer-normed), got {latent_dim}")


def downsampled_size(image_shape: Sequence[int], num_halvings: int, what: str) -> tuple[int, int]:
    """(H / 2^n, W / 2^n); ``InputError`` unless both sides divide, naming the fix."""
    _, height, width = image_shape
    factor = 2**num_halvings
    if height % factor or width % factor:
        raise InputError(
            f"the {what} halves the image {num_halvings} times, so height and width must be multiples of {factor}, "
            f"got {height}x{width}; use fewer channels entries in its config"
        )
    return height // factor, width // factor


class ConvEncoder(nn.Module):
    """One 4x4 stride-2 conv + ReLU per entry of ``channels``, then a linear map of the flattened features to h.

    (B,C,H,W) levels -> (B, latent_dim). H and W must be multiples of ``2 ** len(channels)``.
    """

    def __init__(
        self, image_shape: Sequence[int], num_levels: int, latent_dim: int, channels: Sequence[int] = (64, 128, 256)
    ) -> None:
        super().__init__()
        check_latent_dim(latent_dim)
        if not channels:
            raise InputError("the conv encoder needs at least one entry in channels")
        self.num_levels = num_levels
        height, width = downsampled_size(image_shape, len(channels), "conv encoder")
        layers: list[nn.Module] = []
        in_channels = image_shape[0]
        for out_channels in channels:
            layers += [nn.Conv2d(in_channels, out_channels, 4, stride=2, padding=1), nn.ReLU()]
            in_channels = out_channels
        self.features = nn.Sequential(*layers)
        self.to_code = nn.Linear(in_channels * height * width, latent_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (B,C,H,W) levels -> h (B, latent_dim)."""
        features = self.features(levels_to_signed(x, self.num_levels, self.to_code.weight.dtype))
        return normalize_code(self.to_code(features.flatten(1)))


class TimmEncoder(nn.Module):
    """A timm backbone whose classifier outputs h: ``timm.create_model(model_name, num_classes=latent_dim)``.

    (B,C,H,W) levels -> (B, latent_dim). ``pretrained=True`` downloads weights (needs internet).
    """

    def __init__(
        self,
        image_shape: Sequence[int],
        num_levels: int,
        latent_dim: int,
        model_name: str = "resnet18",
        pretrained: bool = False,
    ) -> None:
        super().__init__()
        check_latent_dim(latent_dim)
        self.num_levels = num_levels
        self.net = create_timm_model(model_name, image_shape[0], latent_dim, pretrained)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (B,C,H,W) levels -> h (B, latent_dim)."""
        dtype = next(self.net.parameters()).dtype
        return normalize_code(self.net(levels_to_signed(x, self.num_levels, dtype)))


def build_encoder(spec: Any, image_shape: Sequence[int], num_levels: int, latent_dim: int) -> tuple[nn.Module, dict]:
    """The encoder ``spec`` describes (None: ``ConvEncoder``; a partial, class or config) and its stored config."""
    factory = as_factory(spec, ConvEncoder, "encoder")
    return factory(image_shape=image_shape, num_levels=num_levels, latent_dim=latent_dim), factory_spec(factory)
