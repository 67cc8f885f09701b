"""Learning-rate schedules stepped after every optimizer step (``interval = "step"``)."""

from __future__ import annotations

from typing import Any

from torch.optim import Optimizer
from torch.optim.lr_scheduler import ExponentialLR, LinearLR, SequentialLR

from pixelcnn.errors import CheckpointError, ConfigValueError


class WarmupExponentialLR(SequentialLR):
    """torch's ``SequentialLR``: ``LinearLR`` from lr / warmup_steps up to the optimizer's lr over ``warmup_steps``
    steps, then ``ExponentialLR`` with ``gamma`` per step.

    Step s (0-based) uses ``lr * min(1, (s + 1) / warmup_steps) * gamma ** max(0, s - warmup_steps)``: the first
    step already trains (at lr / warmup_steps), and ``gamma = 1`` holds the rate after the warm-up. A named class
    (not a function) so a checkpoint's stored config rebuilds it through the allow-list.
    """

    interval = "step"

    def __init__(self, optimizer: Optimizer, warmup_steps: int = 0, gamma: float = 1.0) -> None:
        if warmup_steps < 0 or not 0.0 < gamma <= 1.0:
            raise ConfigValueError(
                f"the warm-up schedule needs warmup_steps >= 0 and 0 < gamma <= 1, got {warmup_steps} and {gamma}"
            )
        self.warmup_steps, self.gamma = warmup_steps, gamma
        decay = ExponentialLR(optimizer, gamma)
        if not warmup_steps:
            super().__init__(optimizer, [decay], milestones=[])
            return
        warmup = LinearLR(optimizer, start_factor=1.0 / warmup_steps, total_iters=warmup_steps - 1)
        super().__init__(optimizer, [warmup, decay], milestones=[warmup_steps])

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        if "_schedulers" not in state_dict:  # written by the hand-made schedule this class replaced
            raise CheckpointError(
                "this checkpoint's warm-up schedule state was written by an older pixelcnn and cannot be resumed; "
                "eval.py and load_model() still read it, and a new run (no ckpt_path) trains with the new schedule"
            )
        super().load_state_dict(state_dict)
