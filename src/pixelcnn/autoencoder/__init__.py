"""The auto-encoders' parts (section 3.4): encoders x -> h (conv or timm) and the MSE baseline's deconv decoder."""

from pixelcnn.autoencoder.decoder import DeconvDecoder
from pixelcnn.autoencoder.encoders import ConvEncoder, TimmEncoder

__all__ = ["ConvEncoder", "DeconvDecoder", "TimmEncoder"]
