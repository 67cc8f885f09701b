"""The Gated PixelCNN backbone shared by every model in the repo."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from pixelcnn.nn.checks import check_backbone, check_context
from pixelcnn.nn.context import CausalContext, add_biases
from pixelcnn.nn.gated_block import GatedBlock
from pixelcnn.nn.generation import GenerationCache
from pixelcnn.nn.heads import Head, SoftmaxHead
from pixelcnn.nn.layers import HorizontalConv
from pixelcnn.nn.masks import channel_groups
from pixelcnn.nn.scale import levels_to_signed


class GatedPixelCNN(nn.Module):
    """Stack of ``GatedBlock`` layers, a masked 1x1 + ReLU and an output ``Head`` (``head_out``).

    Knows nothing about conditioning: it takes one bias per layer (or None) from whatever conditioner the model
    uses. Input is a LongTensor of levels (B,C,H,W) in [0, K); output logits (B,K,C,H,W). ``head``: builds the
    output head given ``in_channels``, ``in_groups``, ``image_channels`` and ``num_levels`` (default
    ``SoftmaxHead``, a K-way softmax per channel; ``LogisticMixtureHead``: PixelCNN++'s mixture).
    ``context_scales`` > 0 adds the multi-scale context path (``CausalContext``, ``context_channels`` wide): every
    position also sees every row above it, through a per-position bias of every ``context_every``-th layer from
    the first (default 0: off).
    """

    def __init__(
        self,
        image_channels: int,
        num_levels: int,
        num_layers: int = 8,
        hidden_channels: int = 64,
        kernel_size: int = 5,
        first_kernel_size: int | None = None,
        skip_channels: int = 64,
        output_hidden: int = 128,
        dropout: float = 0.0,
        head: Any = None,
        context_scales: int = 0,
        context_channels: int = 32,
        context_every: int = 1,
    ) -> None:
        super().__init__()
        first_kernel_size = first_kernel_size or kernel_size
        kernels = {"kernel_size": kernel_size, "first_kernel_size": first_kernel_size}
        widths = {"hidden_channels": hidden_channels, "skip_channels": skip_channels, "output_hidden": output_hidden}
        check_backbone(image_channels, num_levels, num_layers, kernels, widths, dropout)
        check_context(context_scales, context_channels, context_every)
        self.image_channels = image_channels
        self.num_levels = num_levels
        self.num_layers = num_layers
        self.hidden_channels = hidden_channels
        self.blocks = nn.ModuleList(
            GatedBlock(
                in_channels=image_channels if i == 0 else hidden_channels,
                hidden_channels=hidden_channels,
                skip_channels=skip_channels,
                kernel_size=first_kernel_size if i == 0 else kernel_size,
                image_channels=image_channels,
                first=i == 0,
                dropout=dropout,
                last=i == num_layers - 1,
            )
            for i in range(num_layers)
        )
        skip_groups = channel_groups(skip_channels, image_channels)
        head_groups = channel_groups(output_hidden, image_channels)
        self.head_hidden = HorizontalConv(skip_channels, output_hidden, 1, skip_groups, head_groups, "B")
        # Output channel c*P + p belongs to image channel c: contiguous blocks of the head's P parameters.
        self.head_out: Head = (head or SoftmaxHead)(
            in_channels=output_hidden, in_groups=head_groups, image_channels=image_channels, num_levels=num_levels
        )
        # built last, so the parameters before it draw the same initial values with or without it
        self.context = (
            CausalContext(
                image_channels, context_channels, context_scales, num_layers, self.cond_channels, context_every
            )
            if context_scales
            else None
        )

    # the activations' layout: ``use_channels_last`` sets channels_last (for CUDA convolutions) with the weights'
    memory_format = torch.contiguous_format

    def use_channels_last(self) -> None:
        """Weights and activations in ``torch.channels_last`` (NHWC) layout: the same values, faster cuDNN convs."""
        self.to(memory_format=torch.channels_last)
        self.memory_format = torch.channels_last

    @property
    def cond_channels(self) -> int:
        """Width of the per-layer conditioning bias: vertical and horizontal pre-activations, 2 * 2 * hidden."""
        return 4 * self.hidden_channels

    def scale_input(self, x: torch.Tensor) -> torch.Tensor:
        """Levels (B,C,H,W) in [0,K) -> floats in [-1, 1]."""
        return levels_to_signed(x, self.num_levels, self.head_out.conv.weight.dtype)

    def forward(self, x: torch.Tensor, cond: list[torch.Tensor] | None = None, log_prob: bool = False) -> torch.Tensor:
        """x (B,C,H,W) long, cond: per-layer biases (B, 4*hidden, 1|H, 1|W) or None -> logits (B,K,C,H,W).

        ``log_prob=True``: log p(x_c,i,j | everything before it) (B,C,H,W) instead, the log-softmax of the logits at
        x itself (the NLL; the mixture head computes it without the K axis).
        """
        out = self.head_params(x, cond)
        return self.head_out.log_prob(out, x) if log_prob else self.head_out.logits(out, x)

    def head_params(self, x: torch.Tensor, cond: list[torch.Tensor] | None = None) -> torch.Tensor:
        """The output head's raw outputs (B, C*P, H, W): C blocks of its ``params_per_channel``."""
        if cond is not None and len(cond) != self.num_layers:
            raise ValueError(f"expected {self.num_layers} conditioning biases, got {len(cond)}")
        v = h = self.scale_input(x).contiguous(memory_format=self.memory_format)
        if self.context is not None:
            cond = add_biases(cond, self.context(v))
        skip_sum = 0.0
        for i, block in enumerate(self.blocks):
            v, h, skip = block(v, h, None if cond is None else cond[i])
            skip_sum = skip_sum + skip
        return self.head_out(self.head_features(skip_sum))

    @property
    def rows_above(self) -> int:
        """How many rows above it a row's outputs read: each layer's vertical conv reaches n//2 rows up, the link
        one more. Rows farther up can be cut off (zero padded) without changing that row. With the context path,
        every row above: a number larger than any image's height."""
        if self.context is not None:
            return sys.maxsize
        return 1 + sum(block.v_conv.pad for block in self.blocks)

    def pixel_logits(self, x: torch.Tensor, cond: list[torch.Tensor] | None, i: int, j: int) -> torch.Tensor:
        """Logits (B,K,C) of pixel (i, j) as ``forward`` gives them, from a pass over the rows i reads only (row i
        and ``rows_above``) and the head's distribution at that pixel only."""
        top = max(0, i - self.rows_above)

        def rows(t: torch.Tensor) -> torch.Tensor:
            return t[:, :, top : i + 1] if t.shape[2] > 1 else t

        out = self.head_params(rows(x), None if cond is None else [rows(b) for b in cond])
        return self.head_out.logits(out[:, :, -1:, j : j + 1], x[:, :, i : i + 1, j : j + 1])[..., 0, 0]

    def head_features(self, skip_sum: torch.Tensor, hidden: Callable | None = None) -> torch.Tensor:
        """The head's input relu(1x1(relu(sum of skips))): maps (B,skip,H,W), or channel-last (B,skip) with
        ``hidden`` the 1x1 over rows (``head_hidden.rows()``)."""
        return F.relu((hidden or self.head_hidden)(F.relu(skip_sum)))

    def cache(self, batch_size: int, height: int, width: int, cond: list[torch.Tensor] | None) -> GenerationCache:
        """The state that computes one new sub-pixel at a time (``GenerationCache``) for ``batch_size`` images."""
        return GenerationCache(self, batch_size, height, width, cond)
