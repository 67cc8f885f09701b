"""Causal convolutions of the two stacks, done as (ceil(n/2) x n) convs plus padding, not masked n x n convs."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from pixelcnn.nn.masks import center_mask


def shift_down(x: torch.Tensor) -> torch.Tensor:
    """Move a map (B,C,H,W) down one row, filling row 0 with zeros: row i then holds what row i-1 held."""
    return F.pad(x, (0, 0, 1, 0))[:, :, :-1, :]


def gate(x: torch.Tensor) -> torch.Tensor:
    """Gated unit tanh(f) * sigmoid(g) of a pre-activation (B,2p,H,W) split into halves -> (B,p,H,W)."""
    f, g = x.chunk(2, dim=1)
    return torch.tanh(f) * torch.sigmoid(g)


class VerticalConv(nn.Module):
    """Vertical stack conv: output row i sees input rows i-n//2 .. i, every column within n//2.

    A (n//2+1) x n kernel with n//2 rows of zero padding on top. The output includes row i itself, so it must
    be shifted down (``shift_down``) before it reaches the horizontal stack.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int) -> None:
        super().__init__()
        self.pad = kernel_size // 2
        self.conv = nn.Conv2d(in_channels, out_channels, (self.pad + 1, kernel_size))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B,in,H,W) -> (B,out,H,W)."""
        return self.conv(F.pad(x, (self.pad, self.pad, self.pad, 0)))


class HorizontalConv(nn.Module):
    """Horizontal stack conv: output pixel (i, j) sees pixels (i, j-n//2 .. j) of its row.

    A 1 x (n//2+1) kernel with n//2 columns of zero padding on the left. At the current pixel (the kernel's last
    column) a channel-group mask keeps the R -> G -> B order: mask A for the first layer, B afterwards. With
    ``kernel_size=1`` this is the masked 1x1 conv used for residual, skip and output layers.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        in_groups: torch.Tensor,
        out_groups: torch.Tensor,
        mask_type: str,
    ) -> None:
        super().__init__()
        self.pad = kernel_size // 2
        self.conv = nn.Conv2d(in_channels, out_channels, (1, self.pad + 1))
        mask = torch.ones_like(self.conv.weight)
        mask[:, :, 0, -1] = center_mask(out_groups, in_groups, mask_type)
        self.register_buffer("mask", mask, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B,in,H,W) -> (B,out,H,W)."""
        x = F.pad(x, (self.pad, 0, 0, 0))
        return F.conv2d(x, self.conv.weight * self.mask, self.conv.bias)
