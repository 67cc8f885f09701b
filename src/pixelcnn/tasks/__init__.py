"""The work behind train.py, eval.py and export_embeddings.py: train, evaluate, export, resume, runtime, errors.

Importing any task registers the OmegaConf resolvers the configs use (before Hydra composes them) and silences
output a user cannot act on (``quiet``).
"""

from pixelcnn.tasks.quiet import quiet_noise
from pixelcnn.tasks.resolvers import register_resolvers

register_resolvers()
quiet_noise()
