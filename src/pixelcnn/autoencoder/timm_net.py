"""The one place that builds a timm network (the timm encoder and the triplet embedder both use it)."""

from __future__ import annotations

from torch import nn

from pixelcnn.errors import InputError


def create_timm_model(name: str, in_chans: int, num_classes: int, pretrained: bool = False) -> nn.Module:
    """``timm.create_model`` with ``num_classes`` outputs (0: pooled features); an unknown name is an InputError.

    ``pretrained=True`` downloads ImageNet weights (needs internet); the default random weights never do.
    """
    import timm

    try:
        return timm.create_model(name, pretrained=pretrained, in_chans=in_chans, num_classes=num_classes)
    except RuntimeError as error:  # timm: "Unknown model (...)"
        raise InputError(f"timm has no model {name!r}; pick one of timm.list_models(), e.g. resnet18") from error
