"""Gated / Conditional PixelCNN (van den Oord et al., 2016)."""

from __future__ import annotations

from typing import Any

__all__ = ["load_datamodule", "load_model"]


def __getattr__(name: str) -> Any:
    # Lazy, so `import pixelcnn.tasks...` does not import Lightning before a config error can be reported.
    if name in __all__:
        from pixelcnn import api

        return getattr(api, name)
    raise AttributeError(f"module 'pixelcnn' has no attribute {name!r}")
