"""Silence the output a user cannot act on; real warnings (and every other log line) stay.

- Lightning's promotional tips ("💡 Tip: ... litlogger / litmodels") and its note that the configured model summary
  callback replaced its default one;
- the ``LeafSpec`` deprecation warning Lightning's own code triggers in torch.

alembic's migration lines (an Optuna study in a database) are silenced by optuna itself, which sets the ``alembic``
logger to WARNING before its first migration context (``tests/integration/test_sweep_output.py``). W&B's
"anonymous" warning is avoided at its source (``pixelcnn.logging.wandb``).
"""

from __future__ import annotations

import logging
import warnings

NOISE = ("💡 Tip:", "Trainer already configured with model summary callbacks")


class DropNoise(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(NOISE)


def quiet_noise() -> None:
    """Install the filters (idempotent)."""
    warnings.filterwarnings("ignore", message=r".*isinstance\(treespec, LeafSpec\)` is deprecated")
    for name in ("pytorch_lightning.utilities.rank_zero", "lightning_fabric.utilities.rank_zero"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, DropNoise) for f in logger.filters):
            logger.addFilter(DropNoise())
