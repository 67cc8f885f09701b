"""Causal convolutions of the two stacks, done as (ceil(n/2) x n) convs plus padding, not masked n x n convs.

Each conv computes the whole image in ``forward`` and, for generation in raster order, one new image row (vertical)
or the newest columns of the current row (horizontal) from a small state it owns (``VerticalConv.rows``,
``HorizontalConv.row``): the same weights and the same arithmetic, restricted to the positions that change.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from pixelcnn.nn.masks import center_mask


def shift_down(x: torch.Tensor) -> torch.Tensor:
    """Move a map (B,C,H,W) down one row, filling row 0 with zeros: row i then holds what row i-1 held."""
    return F.pad(x, (0, 0, 1, 0))[:, :, :-1, :]


def gate(x: torch.Tensor, dim: int = 1) -> torch.Tensor:
    """Gated unit tanh(f) * sigmoid(g) of a pre-activation split into halves along ``dim`` (2p -> p): (B,2p,H,W)
    maps with ``dim=1``, channel-last rows (B,W,2p) with ``dim=-1``."""
    f, g = x.chunk(2, dim=dim)
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

    def rows(self, batch: int, width: int, like: torch.Tensor) -> VerticalRows:
        """The step state for ``batch`` images of ``width`` columns (dtype and device of ``like``)."""
        return VerticalRows(self, batch, width, like)


class VerticalRows:
    """A ``VerticalConv``'s last n//2+1 input rows (B,in,n//2+1,W+2*(n//2)), zero padded as ``forward`` pads them:
    ``push(row)`` takes input row i and returns output row i, equal to row i of ``forward`` on the whole map."""

    def __init__(self, conv: VerticalConv, batch: int, width: int, like: torch.Tensor) -> None:
        self.conv, p = conv, conv.pad
        self.window = like.new_zeros(batch, conv.conv.in_channels, p + 1, width + 2 * p)

    def push(self, row: torch.Tensor) -> torch.Tensor:
        """Input row (B,in,1,W) -> output row (B,out,1,W)."""
        p = self.conv.pad
        self.window = torch.cat([self.window[:, :, 1:], F.pad(row, (p, p, 0, 0))], dim=2)
        return self.conv.conv(self.window)


class HorizontalConv(nn.Module):
    """Horizontal stack conv: output pixel (i, j) sees pixels (i, j-n//2 .. j) of its row.

    A 1 x (n//2+1) kernel with n//2 columns of zero padding on the left. At the current pixel (the kernel's last
    column) a channel-group mask keeps the R -> G -> B order: mask A for the first layer, B afterwards. With
    ``kernel_size=1`` this is the masked 1x1 conv used for residual, skip and output layers.

    ``forward`` takes a map (B,in,H,W) -> (B,out,H,W); ``rows()`` is the same conv over channel-last rows, for
    generation (``HorizontalRow`` keeps the current row of its input).
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

    def masked_weight(self) -> torch.Tensor:
        """The masked kernel (out, in, 1, n//2+1)."""
        return self.conv.weight * self.mask

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B,in,H,W) -> (B,out,H,W)."""
        if self.pad:  # F.pad copies even when it pads nothing: a 1x1 reads x as it is
            x = F.pad(x, (self.pad, 0, 0, 0))
        return F.conv2d(x, self.masked_weight(), self.conv.bias)

    def rows(self, out_rows: slice = slice(None)) -> RowConv:
        """This conv (its output channels ``out_rows``) over channel-last rows, with the weights it has now."""
        return RowConv(self.masked_weight()[out_rows].flatten(1), self.conv.bias[out_rows], self.pad)

    def row(self, batch: int, width: int, like: torch.Tensor) -> HorizontalRow:
        """The step state for ``batch`` images of ``width`` columns (dtype and device of ``like``)."""
        return HorizontalRow(self, batch, width, like)


class RowConv:
    """A ``HorizontalConv`` as a matrix over the windows of a channel-last row: (B,L,in), its first n//2 columns
    the left context -> (B,L-n//2,out), the output columns of ``forward`` there. The weights are a snapshot: one
    masking per generation, not per sub-pixel."""

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor, pad: int) -> None:
        self.weight, self.bias, self.pad = weight, bias, pad  # (out, in*(pad+1)) in the kernel's (in, pad+1) order

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if self.pad:  # (B, cols, in*(p+1)): the p+1 pixels each output column reads
            x = x.unfold(1, self.pad + 1, 1).flatten(2)
        return F.linear(x, self.weight, self.bias)


class HorizontalRow:
    """A ``HorizontalConv``'s input on the current image row, channel-last (B, n//2+W, in), its first n//2 columns
    the zeros ``forward`` pads with. A fixed buffer: a CUDA graph may read and write it."""

    def __init__(self, conv: HorizontalConv, batch: int, width: int, like: torch.Tensor) -> None:
        self.pad, self.conv = conv.pad, conv.rows()
        self.buffer = like.new_zeros(batch, conv.pad + width, conv.conv.in_channels)

    def write(self, first: int, values: torch.Tensor) -> None:
        """Input columns first.. of the row: (B, cols, in)."""
        p = self.pad
        self.buffer[:, p + first : p + first + values.shape[1]] = values

    def read(self, first: int, last: int) -> torch.Tensor:
        """Input columns first..last (B, cols, in)."""
        p = self.pad
        return self.buffer[:, p + first : p + last + 1]

    def output(self, first: int, last: int) -> torch.Tensor:
        """Output columns first..last (B, cols, out): ``forward`` of the columns they read."""
        return self.conv(self.buffer[:, first : last + self.pad + 1])
