"""LightningModules sharing the gated backbone, and the registry ``load_model`` reads."""

from pixelcnn.models.autoencoder import PixelCNNAutoEncoder
from pixelcnn.models.base import PixelCNNModule
from pixelcnn.models.class_conditional import ClassConditionalPixelCNN
from pixelcnn.models.embedding_conditional import EmbeddingConditionalPixelCNN
from pixelcnn.models.mse_autoencoder import MSEAutoEncoder
from pixelcnn.models.spatial_conditional import SpatialConditionalPixelCNN
from pixelcnn.models.unconditional import PixelCNN

MODEL_KINDS: dict[str, type[PixelCNNModule]] = {cls.kind: cls for cls in (PixelCNN, ClassConditionalPixelCNN)}
MODEL_KINDS.update({cls.kind: cls for cls in (EmbeddingConditionalPixelCNN, SpatialConditionalPixelCNN)})
# The MSE baseline is no PixelCNN (no likelihood) but loads through the same registry.
MODEL_KINDS.update({cls.kind: cls for cls in (PixelCNNAutoEncoder, MSEAutoEncoder)})  # type: ignore[misc]

__all__ = [
    "MODEL_KINDS",
    "ClassConditionalPixelCNN",
    "EmbeddingConditionalPixelCNN",
    "MSEAutoEncoder",
    "PixelCNN",
    "PixelCNNAutoEncoder",
    "PixelCNNModule",
    "SpatialConditionalPixelCNN",
]
