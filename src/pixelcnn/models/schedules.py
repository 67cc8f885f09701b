"""Learning-rate schedules stepped after every optimizer step (``interval = "step"``)."""

from __future__ import annotations

from torch.optim import Optimizer
from torch.optim.lr_scheduler import LRScheduler


class WarmupExponentialLR(LRScheduler):
    """Linear warm-up to the optimizer's lr over ``warmup_steps`` steps, then ``gamma`` per step.

    Step s (0-based) uses ``lr * min(1, (s + 1) / warmup_steps) * gamma ** max(0, s - warmup_steps)``: the first
    step already trains (at lr / warmup_steps), and ``gamma = 1`` holds the rate after the warm-up.
    """

    interval = "step"

    def __init__(self, optimizer: Optimizer, warmup_steps: int = 0, gamma: float = 1.0, last_epoch: int = -1) -> None:
        if warmup_steps < 0 or not 0.0 < gamma <= 1.0:
            raise ValueError(f"need warmup_steps >= 0 and 0 < gamma <= 1, got {warmup_steps} and {gamma}")
        self.warmup_steps, self.gamma = warmup_steps, gamma
        super().__init__(optimizer, last_epoch)

    def factor(self, step: int) -> float:
        """The multiple of the base lr used at (0-based) optimizer step ``step``."""
        warm = min(1.0, (step + 1) / self.warmup_steps) if self.warmup_steps else 1.0
        return warm * self.gamma ** max(0, step - self.warmup_steps)

    def get_lr(self) -> list[float]:
        return [base * self.factor(self.last_epoch) for base in self.base_lrs]
