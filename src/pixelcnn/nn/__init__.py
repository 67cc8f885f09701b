"""Building blocks: causal convs, the gated layer and the backbone."""

from pixelcnn.nn.backbone import GatedPixelCNN
from pixelcnn.nn.gated_block import GatedBlock
from pixelcnn.nn.layers import HorizontalConv, VerticalConv, gate, shift_down

__all__ = ["GatedBlock", "GatedPixelCNN", "HorizontalConv", "VerticalConv", "gate", "shift_down"]
