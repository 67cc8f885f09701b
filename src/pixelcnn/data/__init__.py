"""LightningDataModules: offline (digits, patches) and real (MNIST, CIFAR-10, ImageNet 32/64)."""

from pixelcnn.data.base import ImageDataModule
from pixelcnn.data.celeba import CelebADataModule
from pixelcnn.data.digits import DigitsDataModule
from pixelcnn.data.embedding_pairs import EmbeddingPairsDataModule
from pixelcnn.data.folder import FolderDataModule
from pixelcnn.data.imagenet import ImageNetDataModule
from pixelcnn.data.patches import PatchesDataModule
from pixelcnn.data.textures import TexturesDataModule
from pixelcnn.data.torchvision_sets import CIFAR10DataModule, MNISTDataModule

__all__ = [
    "CIFAR10DataModule",
    "CelebADataModule",
    "DigitsDataModule",
    "EmbeddingPairsDataModule",
    "FolderDataModule",
    "ImageDataModule",
    "ImageNetDataModule",
    "MNISTDataModule",
    "PatchesDataModule",
    "TexturesDataModule",
]
