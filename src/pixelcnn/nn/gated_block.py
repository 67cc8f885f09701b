"""One gated layer: a vertical and a horizontal stack, linked without leaking the current row."""

from __future__ import annotations

from collections.abc import Callable

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


def layer_biases(project: Callable[[slice], torch.Tensor], num_layers: int, cond_channels: int) -> list[torch.Tensor]:
    """``num_layers`` biases from ``project(rows)``: the output (B, len(rows), ...) of the rows ``rows`` of a weight
    with num_layers * cond_channels rows (layer l's bias is rows l*cond_channels ..). Every layer gets its whole bias
    (B, cond_channels, 1|H, 1|W) but the last, which gets its horizontal half (B, cond_channels/2, 1|H, 1|W) only:
    its vertical half would feed the last layer's vertical gate, which is never computed. The weight keeps every
    row (checkpoints load unchanged); the unused ones get zero gradients."""
    cut = (num_layers - 1) * cond_channels
    biases = list(project(slice(0, cut)).split(cond_channels, dim=1)) if cut else []
    biases.append(project(slice(cut + cond_channels // 2, cut + cond_channels)))
    return [b[:, :, None, None] if b.dim() == 2 else b for b in biases]


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

    ``forward`` computes the whole image; ``cache`` gives the state (``BlockCache``) that computes one new row of
    the vertical stack and the newest pixels of the horizontal one. Both call ``vertical`` and ``horizontal``.
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
        cond_v, cond_h = bias_halves(cond, self.hidden_channels, self.last)
        h_new, skip = self.horizontal(self.h_conv(h) + self.v_to_h(shift_down(v_pre)), h, cond_h, dim=1)
        return self.vertical(v_pre, cond_v), h_new, skip

    def vertical(self, v_pre: torch.Tensor, cond_v: torch.Tensor | None) -> torch.Tensor | None:
        """The vertical output gate(Vconv(v) + c_v) (B,hidden,H|1,W) of pre-activations (B,2*hidden,H|1,W); None in
        the last layer, whose vertical output feeds nothing."""
        if self.last:
            return None
        return gate(v_pre if cond_v is None else v_pre + cond_v)

    def horizontal(
        self,
        h_pre: torch.Tensor,
        h: torch.Tensor,
        cond_h: torch.Tensor | None,
        dim: int = 1,
        pointwise: tuple[Callable | None, Callable] | None = None,
    ) -> tuple[torch.Tensor | None, torch.Tensor]:
        """(h', skip) from the horizontal pre-activation Hconv(h) + link and the input h: the gate, the residual
        1x1 and the skip 1x1. Maps (B,ch,H,W) with ``dim=1``, or channel-last rows (B,cols,ch) with ``dim=-1`` and
        ``pointwise`` the two 1x1s over rows (``HorizontalConv.rows``: the residual's, None in the last layer, and
        the skip's)."""
        h_out, skip_out = pointwise or (self.h_out, self.skip)
        if cond_h is not None:
            h_pre = h_pre + cond_h
        h_gated = self.dropout(gate(h_pre, dim))
        skip = skip_out(h_gated)
        if self.last:  # only the skip output is used
            return None, skip
        h_new = h_out(h_gated)
        return (h_new + h if self.residual else h_new), skip

    def cache(
        self, batch: int, width: int, cond: torch.Tensor | None, like: torch.Tensor, context: bool = False
    ) -> BlockCache:
        """The generation state for ``batch`` images of ``width`` columns with biases shaped like ``cond`` (or
        None), in the dtype and on the device of ``like``; ``context``: each row also gets a context bias."""
        return BlockCache(self, batch, width, cond, like, context)


class BlockCache:
    """A ``GatedBlock``'s state while images are generated in raster order (Ramachandran et al. 2017).

    ``start_row(i, v_in)`` advances the vertical stack (output row i-1 from input row i-1, whose rows above it are
    kept in ``VerticalRows``) and stores the link into row i; ``step(first, j, h_in)`` then computes the horizontal
    stack at columns first..j of row i. Everything ``step`` reads or writes has a fixed address (a CUDA graph may
    replay it): the horizontal input row, the link row ``links`` (B,W,2h) and the bias row ``h_cond``, which with
    ``context`` is a whole row (B,W,2h): the context path's bias (``start_row``'s ``context``) varies along it.
    """

    def __init__(
        self,
        block: GatedBlock,
        batch: int,
        width: int,
        cond: torch.Tensor | None,
        like: torch.Tensor,
        context: bool = False,
    ) -> None:
        self.block, self.width, self.like = block, width, like
        pre = 2 * block.hidden_channels
        self.h_row = block.h_conv.row(batch, width, like)
        self.pointwise = (None if block.h_out is None else block.h_out.rows(), block.skip.rows())
        self.links = like.new_zeros(batch, width, pre)
        biased = cond is not None or context
        self.h_cond = like.new_zeros(batch, width if context else cond.shape[3], pre) if biased else None
        self.reset(batch, cond)

    def reset(self, n: int, cond: torch.Tensor | None) -> None:
        """Start over for the first n images with this layer's bias ``cond`` (n|1, 4h, 1|H, 1|W), shaped like the
        one the cache was made with, or None if it was made with None."""
        self.n, self.cond = n, cond
        self.v_rows = self.block.v_conv.rows(n, self.width, self.like)
        for buffer in (self.h_row.buffer, self.links, self.h_cond):
            if buffer is not None:
                buffer.zero_()

    def start_row(self, i: int, v_in: torch.Tensor | None, context: torch.Tensor | None = None) -> torch.Tensor | None:
        """Row i-1 (n,in,1,W) of the block's vertical input (None for i = 0) -> row i-1 of its vertical output
        (None for i = 0 and in the last layer); sets the link and bias of row i for ``step``. ``context``: the
        context path's bias of rows i-1 and i (n, 4h, 2, W) (horizontal half only in the last layer), added."""
        block, n = self.block, self.n
        cond_v, cond_h = bias_halves(self.cond, block.hidden_channels, block.last)
        context_v, context_h = bias_halves(context, block.hidden_channels, block.last)
        v_pre = self.v_rows.push(v_in) if v_in is not None else self.like.new_zeros(n, self.links.shape[2], 1, 1)
        self.links[:n] = block.v_to_h(v_pre)[:, :, 0].transpose(1, 2)  # row 0: shift_down's zeros
        row_h = plus(row_of(cond_h, i), None if context_h is None else context_h[:, :, 1:])
        if row_h is not None:
            self.h_cond[:n] = row_h[:, :, 0].transpose(1, 2)
        if v_in is None:
            return None
        return block.vertical(v_pre, plus(row_of(cond_v, i - 1), None if context_v is None else context_v[:, :, :1]))

    def step(self, first: int, j: int, h_in: torch.Tensor) -> tuple[torch.Tensor | None, torch.Tensor]:
        """Input columns first..j (B,cols,in) of row i -> the block's h' there (B,cols,hidden) (None in the last
        layer) and its skip output at column j (B,skip)."""
        self.h_row.write(first, h_in)
        h_pre = self.h_row.output(first, j) + self.links[:, first : j + 1]
        cond_h = self.h_cond
        if cond_h is not None and cond_h.shape[1] > 1:
            cond_h = cond_h[:, first : j + 1]
        h_new, skip = self.block.horizontal(h_pre, self.h_row.read(first, j), cond_h, -1, self.pointwise)
        return h_new, skip[:, -1]


def row_of(bias: torch.Tensor | None, row: int) -> torch.Tensor | None:
    """Row ``row`` of a bias (B, ch, 1|H, 1|W) -> (B, ch, 1, 1|W); a bias constant over rows is returned as is."""
    if bias is None:
        return None
    return bias[:, :, row : row + 1] if bias.shape[2] > 1 else bias


def plus(a: torch.Tensor | None, b: torch.Tensor | None) -> torch.Tensor | None:
    """a + b where both are tensors, else the one that is (or None)."""
    return b if a is None else a if b is None else a + b
