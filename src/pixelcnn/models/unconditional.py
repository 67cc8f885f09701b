"""Unconditional Gated PixelCNN (``model=gated``)."""

from pixelcnn.models.base import PixelCNNModule


class PixelCNN(PixelCNNModule):
    """p(x) = prod_i p(x_i | x_<i) with the shared gated backbone and no conditioning."""

    kind = "gated"
