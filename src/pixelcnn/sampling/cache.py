"""Per-layer caches of a ``GatedPixelCNN`` for generation in raster order (Ramachandran et al. 2017, our own code).

A full forward pass per sub-pixel recomputes every layer at every pixel although a new pixel (i, j) changes
almost nothing. The two stacks of the backbone let us compute each layer only where it changes:

- vertical stack: output row r of layer l reads input rows r-n//2..r only, so once row i-1 of the image is
  final, one row of every layer (and the link into the horizontal stack of row i) is computed from a window of
  the last n//2+1 input rows per layer (``start_row``);
- horizontal stack: output (i, j) reads pixels (i, j-n//2..j) of the layer below plus the link row, so each
  sub-pixel needs every layer at one pixel only (``pixel_logits``). The R -> G -> B channels of a pixel take one
  such pass each; the masks keep channel c independent of the channels not yet drawn, and the output head turns
  channel c's parameters into logits given the drawn channels < c of the pixel (``Head.channel_logits``). The
  pass for channel 0 of pixel j also recomputes pixel j-1 with all its channels drawn, so later pixels read final
  values.

The arithmetic is that of ``GatedPixelCNN.forward`` restricted to those positions, with the same weights and
dtype; only the grouping of float operations differs, so logits agree with a full pass to rounding error.
Dropout is not applied: generation runs in eval mode.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from pixelcnn.nn.backbone import GatedPixelCNN
from pixelcnn.nn.gated_block import bias_halves
from pixelcnn.nn.layers import gate


def _masked(conv_module: torch.nn.Module) -> torch.Tensor:
    """The effective weight of a ``HorizontalConv``: its conv weight times its channel-group mask."""
    return conv_module.conv.weight * conv_module.mask


def _row_of(bias: torch.Tensor, row: int) -> torch.Tensor:
    """Row ``row`` of a bias (B, ch, 1|H, 1|W) -> (B, ch, 1, 1|W); a bias constant over rows is returned as is."""
    return bias[:, :, row : row + 1] if bias.shape[2] > 1 else bias


class GenerationCache:
    """Caches of one backbone for ``batch_size`` images of ``height`` x ``width`` being generated in raster order.

    Usage, for every row i: ``start_row(i, x)`` once rows < i of ``x`` are final, then for every pixel j and
    channel c in order ``pixel_logits(x, i, j, c)`` -> logits (B, K) of sub-pixel (c, i, j), valid as long as
    every sub-pixel before it in raster / R -> G -> B order is already written into ``x``. ``pixel_logits`` is
    ``load`` (x's pixels into the ``row`` buffer) then ``step(j, c)``, which reads and writes fixed buffers only:
    ``StepRunner`` replays it as a CUDA graph. ``reset(n, cond)`` reuses the cache for n <= batch_size images.

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
        self.cond = cond
        weight = backbone.head_out.conv.weight
        self.device, self.dtype = weight.device, weight.dtype
        blocks = list(backbone.blocks)
        self.pads = [block.v_conv.pad for block in blocks]
        self.residual = [block.residual for block in blocks]
        # Horizontal conv (out, in, 1, p+1) as a matrix over windows flattened in (in, p+1) order.
        self.h_weight = [_masked(b.h_conv).flatten(1) for b in blocks]
        self.h_bias = [b.h_conv.conv.bias for b in blocks]
        self.link_weight = [b.v_to_h.weight.flatten(1) for b in blocks]
        self.link_bias = [b.v_to_h.bias for b in blocks]
        # the last layer has no residual 1x1 (its horizontal output feeds nothing but the skip)
        self.out_weight = [None if b.h_out is None else _masked(b.h_out).flatten(1) for b in blocks]
        self.out_bias = [None if b.h_out is None else b.h_out.conv.bias for b in blocks]
        # All skip 1x1 convs as one matrix over the concatenated gated features of every layer.
        self.skip_weight = torch.cat([_masked(b.skip).flatten(1) for b in blocks], dim=1)
        self.skip_bias = torch.stack([b.skip.conv.bias for b in blocks]).sum(0)
        self.head_hidden_weight = _masked(backbone.head_hidden).flatten(1)
        self.head_hidden_bias = backbone.head_hidden.conv.bias
        self.head = backbone.head_out
        size = self.head.params_per_channel
        head_weight, head_bias = _masked(self.head).flatten(1), self.head.conv.bias
        # The head parameters of image channel c are rows c*P .. (c+1)*P of the output conv: only those are computed.
        self.head_weight = [head_weight[c * size : (c + 1) * size] for c in range(backbone.image_channels)]
        self.head_bias = [head_bias[c * size : (c + 1) * size] for c in range(backbone.image_channels)]

        self.in_channels = [b.v_conv.conv.in_channels for b in blocks]
        new, pre = self._new(), 2 * backbone.hidden_channels
        # Everything ``step`` reads or writes has a fixed address (``StepRunner`` may replay it as a CUDA graph):
        # horizontal stack: the current row of every layer's input, channel-last, p zero columns on the left;
        self.h_rows = [
            torch.zeros(batch_size, p + width, ch, **new) for ch, p in zip(self.in_channels, self.pads, strict=True)
        ]
        # the link from the vertical stack into row i of every layer (B, W, 2h), set by ``start_row``;
        self.links = [torch.zeros(batch_size, width, pre, **new) for _ in blocks]
        # the horizontal half of every layer's bias on row i, channel-last (B, 1|W, 2h), set by ``start_row``;
        self.h_cond = None if cond is None else [torch.zeros(batch_size, c.shape[3], pre, **new) for c in cond]
        # the image row being drawn (levels), written by ``load``.
        self.row = torch.zeros(batch_size, backbone.image_channels, width, dtype=torch.long, device=self.device)
        self.reset(batch_size, cond)

    @torch.no_grad()
    def reset(self, n: int, cond: list[torch.Tensor] | None = None) -> None:
        """Start over for the first ``n`` <= batch_size images (the rest is padding), with biases ``cond``: the
        buffers ``step`` uses keep their addresses, so one captured step serves every chunk of images."""
        if n > self.batch_size or (cond is None) != (self.h_cond is None):
            raise ValueError(f"a cache for {self.batch_size} images can take {n}, conditioned: {cond is not None}")
        self.n, self.cond = n, cond
        # Vertical stack: the last p+1 input rows of every layer, zero padded by p columns on both sides.
        self.v_windows = [
            torch.zeros(n, ch, p + 1, self.width + 2 * p, **self._new())
            for ch, p in zip(self.in_channels, self.pads, strict=True)
        ]
        for buffer in [*self.h_rows, *self.links, *(self.h_cond or []), self.row]:
            buffer.zero_()

    @torch.no_grad()
    def start_row(self, i: int, x: torch.Tensor) -> None:
        """Advance the vertical stack to row i: needs rows < i of ``x`` (B,C,H,W) final."""
        blocks, n = list(self.backbone.blocks), self.n
        if i == 0:
            # shift_down feeds zeros to the link at row 0.
            zeros = torch.zeros(n, self.width, self.link_weight[0].shape[1], **self._new())
            for link, w, b in zip(self.links, self.link_weight, self.link_bias, strict=True):
                link[:n] = F.linear(zeros, w, b)
        else:
            inputs = self.backbone.scale_input(x[:, :, i - 1 : i, :])  # (n, C, 1, W)
            for layer, block in enumerate(blocks):
                p = self.pads[layer]
                window = torch.cat([self.v_windows[layer][:, :, 1:], F.pad(inputs, (p, p, 0, 0))], dim=2)
                self.v_windows[layer] = window
                v_pre = F.conv2d(window, block.v_conv.conv.weight, block.v_conv.conv.bias)  # (n, 2h, 1, W)
                link = F.linear(v_pre[:, :, 0].transpose(1, 2), self.link_weight[layer], self.link_bias[layer])
                self.links[layer][:n] = link
                if layer + 1 == len(blocks):
                    break  # the last layer's vertical output feeds nothing: only its link is needed
                if self.cond is not None:
                    v_pre = v_pre + _row_of(self.cond[layer].chunk(2, dim=1)[0], i - 1)
                inputs = gate(v_pre)
        if self.cond is not None:
            # (n|1, 1|W, 2h): the horizontal half of each layer's bias on row i, channel-last.
            hidden, last = self.backbone.hidden_channels, len(self.cond) - 1
            for layer, (h_cond, c) in enumerate(zip(self.h_cond, self.cond, strict=True)):
                h_cond[:n] = _row_of(bias_halves(c, hidden, layer == last)[1], i)[:, :, 0].transpose(1, 2)

    def _new(self) -> dict:
        return {"device": self.device, "dtype": self.dtype}

    @torch.no_grad()
    def pixel_logits(self, x: torch.Tensor, i: int, j: int, c: int) -> torch.Tensor:
        """Logits (n, K) of sub-pixel (c, i, j) of ``x`` (n,C,H,W), every sub-pixel before it being final."""
        self.load(x, i, j, c)
        return self.step(j, c)[: self.n]

    def load(self, x: torch.Tensor, i: int, j: int, c: int) -> None:
        """Copy the pixels of row i of ``x`` (n,C,H,W) that ``step(j, c)`` reads into ``row``."""
        first = j - 1 if (c == 0 and j > 0) else j
        self.row[: self.n, :, first : j + 1] = x[:, :, i, first : j + 1]

    @torch.no_grad()
    def step(self, j: int, c: int) -> torch.Tensor:
        """Logits (batch_size, K) of sub-pixel (c, ·, j) from the buffers alone (``load`` and ``start_row`` fill
        them); writes only to ``h_rows``, the same values when run twice, so a warm-up run before capture is safe."""
        first = j - 1 if (c == 0 and j > 0) else j  # channel 0: also finish pixel j-1, now fully drawn
        cols = j - first + 1
        p0 = self.pads[0]
        self.h_rows[0][:, p0 + first : p0 + j + 1] = self.backbone.scale_input(self.row[:, :, first : j + 1]).transpose(
            1, 2
        )
        gated_at_j = []
        for layer in range(len(self.pads)):
            p = self.pads[layer]
            row = self.h_rows[layer]
            # (B, cols, in*(p+1)): the p+1 pixels each output column reads, in the weight's (in, p+1) order.
            window = row[:, first : j + p + 1].unfold(1, p + 1, 1).reshape(self.batch_size, cols, -1)
            h_pre = F.linear(window, self.h_weight[layer], self.h_bias[layer]) + self.links[layer][:, first : j + 1]
            if self.h_cond is not None:
                h_cond = self.h_cond[layer]
                h_pre = h_pre + (h_cond[:, first : j + 1] if h_cond.shape[1] > 1 else h_cond)
            f, g = h_pre.chunk(2, dim=-1)
            gated = torch.tanh(f) * torch.sigmoid(g)
            gated_at_j.append(gated[:, -1])
            if layer + 1 < len(self.pads):  # the last layer's horizontal output feeds nothing but the skip
                h_new = F.linear(gated, self.out_weight[layer], self.out_bias[layer])
                if self.residual[layer]:
                    h_new = h_new + row[:, p + first : p + j + 1]
                q = self.pads[layer + 1]
                self.h_rows[layer + 1][:, q + first : q + j + 1] = h_new
        skip = F.linear(torch.cat(gated_at_j, dim=1), self.skip_weight, self.skip_bias)
        hidden = F.linear(F.relu(skip), self.head_hidden_weight, self.head_hidden_bias)
        params = F.linear(F.relu(hidden), self.head_weight[c], self.head_bias[c])
        return self.head.channel_logits(params, self.row[:, :, j], c)
