"""Lightning callbacks of this repo."""

from pixelcnn.callbacks.config_in_checkpoint import ConfigInCheckpoint
from pixelcnn.callbacks.nonfinite_loss import StopOnNonFiniteLoss
from pixelcnn.callbacks.sample_grid import SampleGridCallback

__all__ = ["ConfigInCheckpoint", "SampleGridCallback", "StopOnNonFiniteLoss"]
