"""Config values checked before anything is built, so a bad one is one line naming its key, not a traceback."""

from __future__ import annotations

import math
from collections.abc import Iterable
from numbers import Real
from typing import Any

from omegaconf import DictConfig

from pixelcnn.errors import ConfigValueError

# optimizer options that must be > 0 (the rest, such as weight_decay, only >= 0)
POSITIVE = ("lr",)
SEED_LIMIT = 2**32  # numpy's seeds, which Lightning's seed_everything sets too


def check_seed(value: Any, key: str = "seed", none_ok: bool = False) -> None:
    """An integer seed in [0, 2**32); ``none_ok``: null too (Lightning then draws one)."""
    if value is None and none_ok:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < SEED_LIMIT:
        raise ConfigValueError(f"{key}={value!r}: must be an integer in [0, 2**32), e.g. {key}=0")


def check_optimizer(optimizer: DictConfig | None, key: str = "model.optimizer") -> None:
    """Every number of the optimizer config finite, ``lr`` > 0, the others >= 0 (betas, weight decay, eps)."""
    if not optimizer:
        return
    for name, value in optimizer.items():
        if isinstance(value, bool) or str(name).startswith("_"):
            continue
        for number in value if isinstance(value, Iterable) and not isinstance(value, str) else [value]:
            positive = name in POSITIVE
            if not isinstance(number, Real) or isinstance(number, bool):
                if positive:
                    raise ConfigValueError(f"{key}.{name}={value!r}: must be a finite positive number")
                continue
            word = "positive" if positive else "zero or positive"
            if not math.isfinite(number) or number < 0 or (positive and number == 0):
                raise ConfigValueError(f"{key}.{name}={value}: must be a finite {word} number")


def check_train_values(cfg: DictConfig) -> None:
    """``seed`` and ``model.optimizer.*`` of a training config."""
    check_seed(cfg.get("seed"), none_ok=True)
    model = cfg.get("model")
    if isinstance(model, DictConfig):
        check_optimizer(model.get("optimizer"))


def check_splits(splits: Any, allowed: Iterable[str]) -> None:
    """``splits`` of eval.py: a list of known split names."""
    allowed = tuple(allowed)
    names = [splits] if isinstance(splits, str) else list(splits or [])
    unknown = [name for name in names if name not in allowed]
    if unknown or not names:
        what = f"{unknown[0]!r} is not a split" if unknown else "no split given"
        raise ConfigValueError(f"splits={names}: {what}; choose from {', '.join(allowed)}, e.g. splits=[test,val]")
