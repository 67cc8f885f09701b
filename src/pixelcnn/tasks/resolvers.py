"""OmegaConf resolvers the configs use; registered when ``pixelcnn.tasks`` is imported."""

from __future__ import annotations

import netrc
import os

from omegaconf import OmegaConf


def wandb_offline_default() -> bool:
    """True unless W&B can find an API key (``WANDB_API_KEY`` or an api.wandb.ai netrc entry)."""
    if os.environ.get("WANDB_MODE") in ("offline", "disabled"):
        return True
    if os.environ.get("WANDB_API_KEY"):
        return False
    try:
        return netrc.netrc().authenticators("api.wandb.ai") is None
    except (FileNotFoundError, netrc.NetrcParseError, OSError):
        return True


def register_resolvers() -> None:
    if not OmegaConf.has_resolver("wandb_offline_default"):
        OmegaConf.register_new_resolver("wandb_offline_default", wandb_offline_default)
