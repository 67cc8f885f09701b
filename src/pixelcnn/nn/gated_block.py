"""One gated layer: a vertical and a horizontal stack, linked without leaking the current row."""

from __future__ import annotations

import torch
from torch import nn

from pixelcnn.nn.layers import HorizontalConv, VerticalConv, gate, shift_down
from pixelcnn.nn.masks import channel_groups, gated_groups


def bias_halves(cond: torch.Tensor | None, hidden: int, last: bool) -> tuple[torch.Tensor | None, torch.Tensor | None]:
    """A layer's bias (B, 4*hidden, ...) -> its vertical and horizontal halves (B, 2*hidden, ...) each, or (None,
    None); the ``last`` layer also takes its horizontal half alone (B, 2*hidden, ...) -> (None, cond)."""
    if cond is None:
        return None, None
    if last and cond.shape[1] == 2 * hidden:
        return None, cond
    if cond.shape[1] != 4 * hidden:
        raise ValueError(f"a layer's conditioning bias has {4 * hidden} channels, got {cond.shape[1]}")
    vertical, horizontal = cond.chunk(2, dim=1)
    return vertical, horizontal


class GatedBlock(nn.Module):
    """Gated PixelCNN layer (van den Oord et al. 2016, Fig. 2).

    - vertical: ``v' = gate(Vconv(v) + c_v)`` over rows <= i (never read by the horizontal stack unshifted);
    - link: ``1x1(shift_down(Vconv(v)))`` so the horizontal stack at row i only gets rows < i;
    - horizontal: ``h' = h + 1x1(gate(Hconv(h) + link + c_h))`` (no residual in the first layer);
    - skip: ``1x1(gate(...))`` summed over layers by the backbone.

    ``cond`` is a bias (B, 4*hidden, 1 or H, 1 or W) from a conditioner: the first half goes to the vertical
    pre-activation, the second to the horizontal one (``bias_halves``; the last layer's may be the horizontal half
    alone, (B, 2*hidden, ...), as conditioners give it). Every 1x1 in the horizontal path is masked by channel
    group so channel c of pixel i never sees channels >= c (mask A) or > c (mask B) of pixel i.
    The ``last`` layer feeds only its skip output onward, so it has no residual 1x1 (no unused parameters,
    which DDP would reject) and computes no vertical output (its gate and vertical bias; ``Vconv`` is still needed
    for the link).
    """

    def __init__(
        self,
        in_channels: int,
        hidden_channels: int,
        skip_channels: int,
        kernel_size: int,
        image_channels: int,
        first: bool,
        dropout: float = 0.0,
        last: bool = False,
    ) -> None:
        super().__init__()
        groups = image_channels
        in_groups = channel_groups(in_channels, groups)
        hidden_groups = channel_groups(hidden_channels, groups)
        pre_groups = gated_groups(hidden_channels, groups)
        mask_type = "A" if first else "B"
        self.hidden_channels = hidden_channels
        self.residual = not first
        self.last = last
        self.v_conv = VerticalConv(in_channels, 2 * hidden_channels, kernel_size)
        self.h_conv = HorizontalConv(in_channels, 2 * hidden_channels, kernel_size, in_groups, pre_groups, mask_type)
        # Rows < i carry no same-pixel information, so the link needs no channel mask.
        self.v_to_h = nn.Conv2d(2 * hidden_channels, 2 * hidden_channels, 1)
        self.h_out = (
            None if last else HorizontalConv(hidden_channels, hidden_channels, 1, hidden_groups, hidden_groups, "B")
        )
        self.skip = HorizontalConv(
            hidden_channels, skip_channels, 1, hidden_groups, channel_groups(skip_channels, groups), "B"
        )
        self.dropout = nn.Dropout(dropout)

    def forward(
        self, v: torch.Tensor, h: torch.Tensor, cond: torch.Tensor | None = None
    ) -> tuple[torch.Tensor | None, torch.Tensor | None, torch.Tensor]:
        """(B,in,H,W) x2 -> v (B,hidden,H,W), h (B,hidden,H,W) (both None in the last layer), skip (B,skip,H,W)."""
        v_pre = self.v_conv(v)
        h_pre = self.h_conv(h) + self.v_to_h(shift_down(v_pre))
        cond_v, cond_h = bias_halves(cond, self.hidden_channels, self.last)
        if cond_h is not None:
            h_pre = h_pre + cond_h
        h_gated = self.dropout(gate(h_pre))
        if self.last:  # only the skip output is used
            return None, None, self.skip(h_gated)
        v_new = gate(v_pre if cond_v is None else v_pre + cond_v)
        h_new = self.h_out(h_gated) + h if self.residual else self.h_out(h_gated)
        return v_new, h_new, self.skip(h_gated)
