"""Pure torch building blocks: masks, causal convs, gated layer, output heads, backbone (never sees h). Each layer
computes the whole image in ``forward`` and one new position from its own cache (``GenerationCache``)."""

from pixelcnn.nn.backbone import GatedPixelCNN
from pixelcnn.nn.gated_block import GatedBlock
from pixelcnn.nn.generation import GenerationCache
from pixelcnn.nn.heads import Head, LogisticMixtureHead, SoftmaxHead
from pixelcnn.nn.layers import HorizontalConv, VerticalConv, gate, shift_down
from pixelcnn.nn.scale import levels_to_signed

__all__ = [
    "GatedBlock",
    "GatedPixelCNN",
    "GenerationCache",
    "Head",
    "HorizontalConv",
    "LogisticMixtureHead",
    "SoftmaxHead",
    "VerticalConv",
    "gate",
    "levels_to_signed",
    "shift_down",
]
