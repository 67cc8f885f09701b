"""A ``GatedPixelCNN``'s state for generation in raster order (Ramachandran et al. 2017, our own code).

A full forward pass per sub-pixel recomputes every layer at every pixel although a new pixel (i, j) changes
almost nothing. The two stacks of the backbone let each layer compute only where it changes (``BlockCache``):

- vertical stack: output row r of a layer reads input rows r-n//2..r only, so once row i-1 of the image is final,
  one row of every layer (and the link into row i of the horizontal stack) is computed (``start_row``);
- horizontal stack: output (i, j) reads pixels (i, j-n//2..j) of the layer below plus the link row, so each
  sub-pixel needs every layer at one pixel only (``step``). The R -> G -> B channels of a pixel take one such pass
  each; the masks keep channel c independent of the channels not yet drawn, and the head computes only channel c's
  parameters (``Head.channel_rows``). The pass for channel 0 of pixel j also recomputes pixel j-1 with all its
  channels drawn, so later pixels read final values.

Every layer runs the arithmetic of its own ``forward`` at those positions, with the same weights and dtype; only the
grouping of float operations differs, so the parameters agree with a full pass to rounding error. Dropout is not
applied: generation runs in eval mode.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:
    from pixelcnn.nn.backbone import GatedPixelCNN


class GenerationCache:
    """The layers' caches of one backbone for ``batch_size`` images of ``height`` x ``width`` drawn in raster order.

    For every row i: ``start_row(i, x)`` once rows < i of ``x`` are final, then for every pixel j and channel c in
    order ``load(x, i, j, c)`` (x's pixels into the ``row`` buffer) and ``step(j, c)`` -> the head's parameters
    (batch_size, P) of sub-pixel (c, i, j), valid as long as every sub-pixel before it in raster / R -> G -> B order
    is already written into ``x``. ``step`` reads and writes fixed buffers only: ``StepRunner`` replays it as a
    CUDA graph. ``reset(n, cond)`` reuses the cache for n <= batch_size images (the first n rows are theirs).

    ``cond``: the per-layer biases the backbone would get, (B, 4*hidden, 1|H, 1|W) each, or None.
    """

    @torch.no_grad()
    def __init__(
        self,
        backbone: GatedPixelCNN,
        batch_size: int,
        height: int,
        width: int,
        cond: list[torch.Tensor] | None = None,
    ) -> None:
        if cond is not None and len(cond) != backbone.num_layers:
            raise ValueError(f"expected {backbone.num_layers} conditioning biases, got {len(cond)}")
        self.backbone = backbone
        self.batch_size, self.height, self.width = batch_size, height, width
        weight = backbone.head_out.conv.weight
        self.device, self.dtype = weight.device, weight.dtype
        like = weight.new_zeros(())
        layer_cond = cond or [None] * backbone.num_layers
        context = backbone.context is not None
        self.blocks = [
            b.cache(batch_size, width, c, like, context) for b, c in zip(backbone.blocks, layer_cond, strict=True)
        ]
        self.conditioned = cond is not None
        # the 1x1s after the skip sum and channel c's part of the head, over channel-last features
        self.hidden = backbone.head_hidden.rows()
        self.head = [backbone.head_out.channel_rows(c) for c in range(backbone.image_channels)]
        # the image row being drawn (levels), written by ``load``.
        self.row = torch.zeros(batch_size, backbone.image_channels, width, dtype=torch.long, device=self.device)
        self.reset(batch_size, cond)

    @torch.no_grad()
    def reset(self, n: int, cond: list[torch.Tensor] | None = None) -> None:
        """Start over for the first ``n`` <= batch_size images (the rest is padding), with biases ``cond``: the
        buffers ``step`` uses keep their addresses, so one captured step serves every chunk of images."""
        if n > self.batch_size or (cond is not None) != self.conditioned:
            raise ValueError(f"a cache for {self.batch_size} images can take {n}, conditioned: {cond is not None}")
        self.n = n
        for block, c in zip(self.blocks, cond or [None] * len(self.blocks), strict=True):
            block.reset(n, c)
        self.row.zero_()

    @torch.no_grad()
    def start_row(self, i: int, x: torch.Tensor) -> None:
        """Advance the vertical stack to row i: needs rows < i of ``x`` (n,C,H,W) final. With the context path, also
        its biases of rows i-1 and i: one pass of it over rows 0..i (rows < i final)."""
        v = None if i == 0 else self.backbone.scale_input(x[:, :, i - 1 : i, :])  # (n, C, 1, W)
        context = self.backbone.context
        rows = (
            [None] * len(self.blocks)
            if context is None
            else context.rows(self.backbone.scale_input(x[:, :, : i + 1]), i)
        )
        for block, row in zip(self.blocks, rows, strict=True):
            v = block.start_row(i, v, row)

    def load(self, x: torch.Tensor, i: int, j: int, c: int) -> None:
        """Copy the pixels of row i of ``x`` (n,C,H,W) that ``step(j, c)`` reads into ``row``."""
        first = j - 1 if (c == 0 and j > 0) else j
        self.row[: self.n, :, first : j + 1] = x[:, :, i, first : j + 1]

    @torch.no_grad()
    def step(self, j: int, c: int) -> torch.Tensor:
        """The head's parameters (batch_size, P) of sub-pixel (c, ·, j) from the buffers alone (``load`` and
        ``start_row`` fill them); writes only to the layers' row buffers, the same values when run twice, so a
        warm-up run before capture is safe."""
        first = j - 1 if (c == 0 and j > 0) else j  # channel 0: also finish pixel j-1, now fully drawn
        h = self.backbone.scale_input(self.row[:, :, first : j + 1]).transpose(1, 2)  # (B, cols, C)
        skip_sum = 0.0
        for block in self.blocks:
            h, skip = block.step(first, j, h)
            skip_sum = skip_sum + skip
        return self.head[c](self.backbone.head_features(skip_sum, self.hidden))
