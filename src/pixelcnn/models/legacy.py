"""Checkpoints written before the network moved under ``net``: their weights are named ``backbone.*``,
``conditioner.*`` and ``encoder.*`` where today's are ``net.backbone.*``, ``net.conditioner.*``, ``net.encoder.*``.

``move_parts_under_net`` renames them as the module loads them (a ``load_state_dict`` pre-hook, so ``load_model``,
``eval.py``, a resume, and Lightning's weight averaging all read old checkpoints the same way); nothing else moved,
so a strict load gives the same weights, and the same logits, as before.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from typing import Any

from torch import nn

MOVED_PARTS = ("backbone.", "conditioner.", "encoder.")


def net_key(key: str, prefix: str = "") -> str:
    """``<prefix>backbone.x`` -> ``<prefix>net.backbone.x`` (a part that moved); every other key unchanged."""
    if key.startswith(prefix) and key[len(prefix) :].startswith(MOVED_PARTS):
        return f"{prefix}net.{key[len(prefix) :]}"
    return key


def with_net_keys(state_dict: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a PixelCNN module's ``state_dict`` with the keys of the parts that moved renamed (``net_key``)."""
    return {net_key(key): value for key, value in state_dict.items()}


def move_parts_under_net(module: nn.Module, state_dict: MutableMapping[str, Any], prefix: str, *_: Any) -> None:
    """``load_state_dict`` pre-hook (``register_load_state_dict_pre_hook``): rename old keys in place."""
    for key in [key for key in state_dict if key.startswith(prefix)]:
        new = net_key(key, prefix)
        if new != key:
            state_dict[new] = state_dict.pop(key)
