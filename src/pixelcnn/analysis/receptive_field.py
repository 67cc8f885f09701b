"""Which input sub-pixels influence one output: gradients of its logits w.r.t. the input levels."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch


def influence_map(
    net: Callable[[torch.Tensor], torch.Tensor],
    image_shape: Sequence[int],
    num_levels: int,
    pixel: tuple[int, int],
    channel: int = 0,
    trials: int = 4,
    seed: int = 0,
) -> torch.Tensor:
    """Mean |d logits[:, :, channel, row, col] / d x| over ``trials`` random images -> (C,H,W), >= 0.

    ``net`` maps float levels (B,C,H,W) to logits (B,K,C,H,W), e.g. ``model.backbone`` or a ``PlainPixelCNN``.
    An entry is exactly 0 where no path of the network connects that input to the output: a causal network
    is 0 at and after the output in raster order (R -> G -> B within a pixel), a blind spot is 0 before it.
    """
    row, col = pixel
    generator = torch.Generator().manual_seed(seed)
    x = torch.randint(0, num_levels, (trials, *image_shape), generator=generator).float()
    parameter = next(iter(getattr(net, "parameters", lambda: iter(()))()), None)
    if parameter is not None:
        x = x.to(parameter.device)
    x.requires_grad_(True)
    logits = net(x)
    logits[:, :, channel, row, col].sum().backward()
    return x.grad.abs().mean(0).detach().cpu()


def causal_past(image_shape: Sequence[int], pixel: tuple[int, int], channel: int = 0) -> torch.Tensor:
    """Bool (C,H,W): the sub-pixels an autoregressive model may use for (channel, row, col) in raster order."""
    c, h, w = image_shape
    row, col = pixel
    order = torch.arange(h * w).view(1, h, w).expand(c, h, w)
    here = row * w + col
    same_pixel_earlier_channel = (order == here) & (torch.arange(c).view(c, 1, 1) < channel)
    return (order < here) | same_pixel_earlier_channel
