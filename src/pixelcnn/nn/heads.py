"""Output heads: the backbone's last masked 1x1 conv and the per-level distribution its outputs define.

A head maps the features (B,F,H,W) to ``params_per_channel`` numbers per image channel (C contiguous blocks of P,
masked so that block c sees only feature groups <= c) and turns channel c's block into K log-probabilities. Both
heads return logits (B,K,C,H,W) whose softmax is the per-level distribution:

- ``SoftmaxHead`` (the paper): P = K free logits per channel.
- ``LogisticMixtureHead`` (PixelCNN++, Salimans et al. 2017): a mixture of M discretized logistics per channel
  whose means get linear terms in the values of channels < c of the same pixel; P = M * (C + 2).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from pixelcnn.nn.draw import draw_from_logits, search_cdf
from pixelcnn.nn.layers import HorizontalConv, RowConv
from pixelcnn.nn.masks import channel_groups
from pixelcnn.nn.scale import levels_to_signed

# log scales are kept in [-7, 7] (PixelCNN++ clamps at -7): every bin's log-probability stays finite
LOG_SCALE_RANGE = (-7.0, 7.0)


class Head(HorizontalConv):
    """A masked 1x1 conv (its state_dict names are ``conv.weight``, ``conv.bias``) plus a distribution per channel.

    Subclasses set ``params_per_channel`` and implement ``channel_logits``. For generation, ``channel_rows``
    computes one channel's parameters at one pixel and ``draw`` turns them into a level.
    """

    params_per_channel: int

    def __init__(self, in_channels: int, in_groups: torch.Tensor, image_channels: int, num_levels: int) -> None:
        out = image_channels * self.params_per_channel
        super().__init__(in_channels, out, 1, in_groups, channel_groups(out, image_channels), "B")
        self.image_channels, self.num_levels = image_channels, num_levels

    def channel_logits(self, params: torch.Tensor, pixel: torch.Tensor, c: int) -> torch.Tensor:
        """Channel c's block (..., P) and the levels (..., C) of its pixel (only channels < c are read) -> (..., K)."""
        raise NotImplementedError

    def channel_rows(self, c: int) -> RowConv:
        """The part of this conv that computes channel c's block: features (B, F) at a pixel -> (B, P)."""
        return self.rows(slice(c * self.params_per_channel, (c + 1) * self.params_per_channel))

    def draw(
        self, params: torch.Tensor, pixel: torch.Tensor, c: int, u: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The level (n,) long that ``inverse_cdf`` of ``channel_logits(params, pixel, c)`` picks for uniforms u
        (n,), and u's distance (n,) float64 to the nearest boundary of the CDF it was computed from."""
        return draw_from_logits(self.channel_logits(params, pixel, c), u)

    def logits(self, out: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """Conv output (B, C*P, H, W) and the levels x (B,C,H,W) -> logits (B,K,C,H,W)."""
        params = self.blocks(out)
        pixels = x.permute(0, 2, 3, 1)
        per_channel = [self.channel_logits(params[..., c, :], pixels, c) for c in range(self.image_channels)]
        return torch.stack(per_channel, dim=1).permute(0, 4, 1, 2, 3)

    def log_prob(self, out: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """log p(x_c,i,j | everything before it) (B,C,H,W) in float32 or wider."""
        return -F.cross_entropy(self.logits(out, x).float(), x.long(), reduction="none")

    def blocks(self, out: torch.Tensor) -> torch.Tensor:
        """(B, C*P, H, W) -> (B, H, W, C, P): channel c's parameters at every pixel."""
        b, _, height, width = out.shape
        return out.view(b, self.image_channels, self.params_per_channel, height, width).permute(0, 3, 4, 1, 2)


class SoftmaxHead(Head):
    """K free logits per channel: a K-way softmax (van den Oord et al. 2016)."""

    def __init__(self, in_channels: int, in_groups: torch.Tensor, image_channels: int, num_levels: int) -> None:
        self.params_per_channel = num_levels
        super().__init__(in_channels, in_groups, image_channels, num_levels)

    def channel_logits(self, params: torch.Tensor, pixel: torch.Tensor, c: int) -> torch.Tensor:
        return params

    def logits(self, out: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        b, _, height, width = out.shape
        return out.view(b, self.image_channels, self.num_levels, height, width).transpose(1, 2)


def log1mexp(w: torch.Tensor) -> torch.Tensor:
    """log(1 - exp(-w)) for w > 0, accurate for tiny and large w (Maechler 2012)."""
    return torch.where(w < math.log(2.0), torch.log(-torch.expm1(-w)), torch.log1p(-torch.exp(-w)))


def logistic_bin_log_prob(
    level: torch.Tensor, mean: torch.Tensor, log_scale: torch.Tensor, num_levels: int
) -> torch.Tensor:
    """log P(level) of a logistic(mean, exp(log_scale)) discretized into K bins of width 2/(K-1) on [-1, 1].

    Level k's bin is (2k-K, 2k+2-K] / (K-1) (centred on ``levels_to_signed(k)``), level 0's open to -inf and level
    K-1's to +inf, so the K bins sum to 1; a bin edge is computed once for the two bins it bounds. Interior bins
    use sigma(b) - sigma(a) = sigma(b) * sigma(-a) * (1 - exp(a - b)), exact in log space at any scale: no
    difference of two nearly equal CDFs, no underflow to log(0). All arguments broadcast; returns their shape.
    """
    edge = level.to(mean.dtype) * 2 - num_levels
    inv_scale = torch.exp(-log_scale)
    upper = ((edge + 2) / (num_levels - 1) - mean) * inv_scale
    lower = (edge / (num_levels - 1) - mean) * inv_scale
    interior = F.logsigmoid(upper) + F.logsigmoid(-lower) + log1mexp(2 * inv_scale / (num_levels - 1))
    first, last = F.logsigmoid(upper), F.logsigmoid(-lower)
    return torch.where(level == 0, first, torch.where(level == num_levels - 1, last, interior))


class LogisticMixtureHead(Head):
    """A mixture of ``num_mixtures`` discretized logistics per channel (PixelCNN++), exact over K levels.

    Channel c's block holds M mixture logits, M means, M log scales and M * (C-1) coefficients; its means get
    ``tanh(coeff[c', m]) * x_c'`` for each channel c' < c of the same pixel (x in [-1, 1]); coefficients c' >= c
    are unused. Everything else of channel c comes from features that see channels < c only, so the head is causal.
    """

    def __init__(
        self,
        in_channels: int,
        in_groups: torch.Tensor,
        image_channels: int,
        num_levels: int,
        num_mixtures: int = 10,
        init_log_scale: float | None = None,
        init_mean_spread: float = 0.0,
    ) -> None:
        if num_mixtures < 1:
            raise ValueError(f"num_mixtures must be >= 1, got {num_mixtures}")
        self.num_mixtures = num_mixtures
        self.params_per_channel = num_mixtures * (image_channels + 2)
        super().__init__(in_channels, in_groups, image_channels, num_levels)
        bias = self.conv.bias.data.view(image_channels, self.params_per_channel)
        m = num_mixtures
        if init_log_scale is not None:
            bias[:, 2 * m : 3 * m] = init_log_scale
        if init_mean_spread:
            bias[:, m : 2 * m] = torch.linspace(-init_mean_spread, init_mean_spread, m)

    def mixture(self, params: torch.Tensor, pixel: torch.Tensor, c: int) -> tuple[torch.Tensor, ...]:
        """(log mixture weights, means, log scales), each (..., M), of channel c given its pixel's levels (..., C)."""
        m = self.num_mixtures
        params = params.float() if params.dtype in (torch.float16, torch.bfloat16) else params
        log_weights = F.log_softmax(params[..., :m], dim=-1)
        mean = params[..., m : 2 * m]
        log_scale = params[..., 2 * m : 3 * m].clamp(*LOG_SCALE_RANGE)
        if c > 0:
            coeffs = torch.tanh(params[..., 3 * m : (3 + c) * m]).unflatten(-1, (c, m))
            signed = levels_to_signed(pixel[..., :c], self.num_levels, params.dtype)
            mean = mean + (coeffs * signed[..., None]).sum(-2)
        return log_weights, mean, log_scale

    def channel_logits(self, params: torch.Tensor, pixel: torch.Tensor, c: int) -> torch.Tensor:
        log_weights, mean, log_scale = self.mixture(params, pixel, c)
        levels = torch.arange(self.num_levels, device=params.device)
        per_bin = logistic_bin_log_prob(levels, mean[..., None], log_scale[..., None], self.num_levels)
        return torch.logsumexp(log_weights[..., None] + per_bin, dim=-2)

    def draw(
        self, params: torch.Tensor, pixel: torch.Tensor, c: int, u: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``Head.draw`` without the K bins: the mixture's CDF at the upper edge of level k's bin is a weighted sum
        of M sigmoids, monotone in k, so ``search_cdf`` finds the level from ~2*sqrt(K) CDF values (float64)."""
        log_weights, mean, log_scale = self.mixture(params.double(), pixel, c)
        weights, inv_scale, k = log_weights.exp()[:, None], torch.exp(-log_scale)[..., None], self.num_levels
        # the upper edge of each level's bin, (2k + 2 - K) / (K - 1), and of level K-1's (open: never asked)
        edges = torch.arange(2 - k, k + 1, 2, dtype=torch.float64, device=params.device) / (k - 1)

        def cdf_at(levels: torch.Tensor) -> torch.Tensor:  # (n|1, m) -> (n, m)
            return (weights @ torch.sigmoid((edges[levels][:, None] - mean[..., None]) * inv_scale))[:, 0]

        return search_cdf(cdf_at, u, k)

    def log_prob(self, out: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """log p at the observed levels only (B,C,H,W): no (K,) axis, so training costs no more than the softmax."""
        params = self.blocks(out)
        pixels = x.permute(0, 2, 3, 1)
        per_channel = []
        for c in range(self.image_channels):
            log_weights, mean, log_scale = self.mixture(params[..., c, :], pixels, c)
            per_bin = logistic_bin_log_prob(pixels[..., c, None], mean, log_scale, self.num_levels)
            per_channel.append(torch.logsumexp(log_weights + per_bin, dim=-1))
        return torch.stack(per_channel, dim=1)
