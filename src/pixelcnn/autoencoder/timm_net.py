"""The one place that builds a timm network (the timm encoder and the triplet embedder both use it)."""

from __future__ import annotations

from torch import nn

from pixelcnn.checkpoints.stored import offline, printable
from pixelcnn.errors import CheckpointError, InputError


def create_timm_model(name: str, in_chans: int, num_classes: int, pretrained: bool = False) -> nn.Module:
    """``timm.create_model`` with ``num_classes`` outputs (0: pooled features); an unknown name is an InputError.

    ``pretrained=True`` downloads ImageNet weights (needs internet); the default random weights never do. While a
    checkpoint is rebuilt nothing is fetched: ``pretrained`` is off (the checkpoint's weights replace them anyway)
    and a name with a source prefix (``hf-hub:...``, ``local-dir:...``, whose architecture timm reads from there)
    is refused.
    """
    import timm

    if offline():
        pretrained = False
        if ":" in str(name):
            raise CheckpointError(
                f"the checkpoint's timm model {printable(str(name))} names a source (hf-hub:, local-dir:) that "
                "loading a checkpoint never reads from; retrain with a timm architecture name, e.g. resnet18"
            )
    try:
        return timm.create_model(name, pretrained=pretrained, in_chans=in_chans, num_classes=num_classes)
    except RuntimeError as error:  # timm: "Unknown model (...)"
        raise InputError(f"timm has no model {name!r}; pick one of timm.list_models(), e.g. resnet18") from error
