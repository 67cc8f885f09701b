"""OmegaConf resolvers the configs use; registered when ``pixelcnn.tasks`` is imported."""

from __future__ import annotations

import itertools
import netrc
import os
from pathlib import Path

from omegaconf import OmegaConf

from pixelcnn.errors import PixelCNNError


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


def unique_dir(path: str) -> str:
    """``path``, or ``path_1``, ``path_2``, ...: the first of them that did not exist, created here.

    ``mkdir`` either creates a folder or fails because it exists, in one step, so two processes (runs started in
    the same second) never get the same folder. Cached per config (``use_cache``), like Hydra's ``now``.
    """
    base = Path(path)
    for number in itertools.count():
        candidate = base if number == 0 else base.with_name(f"{base.name}_{number}")
        try:
            base.parent.mkdir(parents=True, exist_ok=True)
            candidate.mkdir()
        except FileExistsError:
            if candidate.is_dir():
                continue
            raise unwritable(candidate, "a file is in the way") from None
        except OSError as error:
            raise unwritable(candidate, error.strerror) from error
        return str(candidate)
    raise AssertionError("unreachable")


def unwritable(folder: Path, why: str | None) -> PixelCNNError:
    return PixelCNNError(f"cannot create the run folder {folder}: {why}; pass a writable one with hydra.run.dir=...")


def register_resolvers() -> None:
    if not OmegaConf.has_resolver("wandb_offline_default"):
        OmegaConf.register_new_resolver("wandb_offline_default", wandb_offline_default)
    if not OmegaConf.has_resolver("unique_dir"):
        OmegaConf.register_new_resolver("unique_dir", unique_dir, use_cache=True)
