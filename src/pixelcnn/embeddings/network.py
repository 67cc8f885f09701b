"""The embedding network: a timm backbone, a linear projection to D dims and L2 normalisation."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from pixelcnn.autoencoder.timm_net import create_timm_model
from pixelcnn.nn.modes import eval_mode
from pixelcnn.nn.scale import levels_to_signed


class EmbeddingNetwork(nn.Module):
    """Levels (B, C, H, W) in [0, K) -> unit-length embeddings (B, embedding_dim).

    ``input_size``: images are resized to this square size first (None: as they are); ResNets downsample by 32,
    so small patches may need it.
    """

    def __init__(
        self,
        image_channels: int,
        num_levels: int,
        backbone_name: str = "resnet18",
        embedding_dim: int = 64,
        input_size: int | None = None,
        image_size: tuple[int, int] = (32, 32),
    ) -> None:
        super().__init__()
        self.num_levels = num_levels
        self.input_size = input_size
        self.features = create_timm_model(backbone_name, image_channels, num_classes=0)
        with torch.no_grad(), eval_mode(self.features):  # the pooled feature width, whatever the backbone calls it
            probe = torch.zeros(1, image_channels, *((input_size, input_size) if input_size else image_size))
            width = self.features(probe).shape[-1]
        self.project = nn.Linear(width, embedding_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, C, H, W) integer levels -> (B, D) with ||h|| = 1."""
        scaled = levels_to_signed(x, self.num_levels, self.project.weight.dtype)
        if self.input_size:
            scaled = F.interpolate(scaled, size=(self.input_size, self.input_size), mode="bilinear")
        return F.normalize(self.project(self.features(scaled)), dim=-1)
