"""Channel groups and the masks that keep R -> G -> B ordering inside a pixel."""

from __future__ import annotations

import torch


def channel_groups(num_channels: int, num_groups: int) -> torch.Tensor:
    """Group id of each of ``num_channels`` features: contiguous blocks, one per image channel.

    Feature ``j`` belongs to group ``j * num_groups // num_channels``; with ``num_channels == num_groups``
    feature ``j`` is image channel ``j`` itself. Returns a LongTensor (num_channels,).
    """
    if num_channels < num_groups:
        raise ValueError(
            f"{num_channels} features cannot be split into {num_groups} channel groups; "
            f"use at least {num_groups} hidden channels"
        )
    return torch.arange(num_channels) * num_groups // num_channels


def gated_groups(hidden_channels: int, num_groups: int) -> torch.Tensor:
    """Groups of a gate's pre-activation (2*hidden,): the tanh half and the sigmoid half share one layout."""
    groups = channel_groups(hidden_channels, num_groups)
    return torch.cat([groups, groups])


def center_mask(out_groups: torch.Tensor, in_groups: torch.Tensor, mask_type: str) -> torch.Tensor:
    """Connectivity (out, in) at the current pixel.

    Mask ``A`` (first layer) lets group g see groups < g only; mask ``B`` (later layers) also group g itself.
    """
    if mask_type not in ("A", "B"):
        raise ValueError(f"mask_type must be 'A' or 'B', got {mask_type!r}")
    out_g = out_groups[:, None]
    in_g = in_groups[None, :]
    allowed = in_g < out_g if mask_type == "A" else in_g <= out_g
    return allowed.float()
