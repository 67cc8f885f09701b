"""Triplet-loss embedding network (timm backbone) and the export of (image, h) pairs."""

from pixelcnn.embeddings.module import TripletEmbedder, load_embedder
from pixelcnn.embeddings.network import EmbeddingNetwork
from pixelcnn.embeddings.triplet import batch_hard_triplet_loss, retrieval_accuracy

__all__ = ["EmbeddingNetwork", "TripletEmbedder", "batch_hard_triplet_loss", "load_embedder", "retrieval_accuracy"]
