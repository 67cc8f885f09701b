"""LightningModules: one composable PixelCNN with thin per-kind subclasses, and the MSE baseline."""

from pixelcnn.models.autoencoder import PixelCNNAutoEncoder
from pixelcnn.models.base import TrainableModule
from pixelcnn.models.kinds import (
    ClassConditionalPixelCNN,
    EmbeddingConditionalPixelCNN,
    PixelCNN,
    SpatialConditionalPixelCNN,
)
from pixelcnn.models.mse_autoencoder import MSEAutoEncoder
from pixelcnn.models.pixelcnn import PixelCNNModule

__all__ = [
    "ClassConditionalPixelCNN",
    "EmbeddingConditionalPixelCNN",
    "MSEAutoEncoder",
    "PixelCNN",
    "PixelCNNAutoEncoder",
    "PixelCNNModule",
    "SpatialConditionalPixelCNN",
    "TrainableModule",
]
