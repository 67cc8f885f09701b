"""Lightning callbacks of this repo."""

from pixelcnn.callbacks.checkpoint_on_signal import CheckpointOnSignal
from pixelcnn.callbacks.config_in_checkpoint import ConfigInCheckpoint
from pixelcnn.callbacks.cpu_cost import CPUCost
from pixelcnn.callbacks.ema import EMA
from pixelcnn.callbacks.nonfinite_loss import StopOnNonFiniteLoss
from pixelcnn.callbacks.sample_grid import SampleGridCallback
from pixelcnn.callbacks.throughput import TrainingThroughput

__all__ = [
    "EMA",
    "CheckpointOnSignal",
    "CPUCost",
    "ConfigInCheckpoint",
    "SampleGridCallback",
    "StopOnNonFiniteLoss",
    "TrainingThroughput",
]
