"""Gated / Conditional PixelCNN (van den Oord et al., 2016)."""

from pixelcnn.api import load_model

__all__ = ["load_model"]
