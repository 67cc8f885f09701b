"""How the conditioning h enters each layer."""

from pixelcnn.conditioning.base import Conditioner
from pixelcnn.conditioning.class_bias import ClassConditioner
from pixelcnn.conditioning.spatial import SpatialConditioner
from pixelcnn.conditioning.vector import VectorConditioner

__all__ = ["ClassConditioner", "Conditioner", "SpatialConditioner", "VectorConditioner"]
