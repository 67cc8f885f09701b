"""The config an eval run logs: the training run's and the evaluation's, without the settings the model kind never
uses (figures it does not draw, sampling options when it draws none, the eval's own logger and printing options),
so the logged keys are the ones worth filtering and grouping runs by."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import hydra

# options that say nothing about the numbers: where a run logs to and whether it prints its config
NOT_LOGGED = ("logger", "print_config")
# the trainer options a test loop uses (the rest, epochs, clipping, validation cadence, only apply to training)
TEST_TRAINER = ("_target_", "accelerator", "devices", "num_nodes", "strategy", "precision", "limit_test_batches")
TEST_TRAINER += ("deterministic", "inference_mode")


def drawn_figures(figures: Mapping[str, Any] | None, model: Any) -> list[str]:
    """The keys of a ``figures`` config group (the user's own, never a checkpoint's) whose figure applies to
    ``model`` (``Figure.applies_to``)."""
    keys = []
    for key, item in (figures or {}).items():
        if isinstance(item, Mapping) and "_target_" in item and hydra.utils.instantiate(item).applies_to(model):
            keys.append(key)
    return keys


def for_kind(config: Mapping[str, Any], drawn: Sequence[str]) -> dict[str, Any]:
    """``config`` with only the ``drawn`` figures (no ``figures`` nor ``sampling`` when nothing is drawn), without
    ``NOT_LOGGED``."""
    kept = {key: value for key, value in config.items() if key not in NOT_LOGGED}
    figures = {key: value for key, value in (config.get("figures") or {}).items() if key in drawn}
    kept.pop("figures", None)
    if figures:
        kept["figures"] = figures
    elif "sampling" in kept:
        del kept["sampling"]
    return kept


def eval_run_config(
    train_config: Mapping[str, Any], eval_config: Mapping[str, Any], drawn: Sequence[str], **extra: Any
) -> dict[str, Any]:
    """The training run's config (eval runs filter and group by the same hyper-parameters) and this evaluation's
    under ``eval`` (with ``extra``, e.g. ``model_artifact``), both cut to what the model kind uses; the eval's
    trainer options a test loop uses, a ``compare_ckpt`` only when one was given."""
    evaluation = for_kind(eval_config, drawn)
    if evaluation.get("compare_ckpt") is None:
        evaluation.pop("compare_ckpt", None)
    if isinstance(evaluation.get("trainer"), Mapping):
        evaluation["trainer"] = {k: v for k, v in evaluation["trainer"].items() if k in TEST_TRAINER}
    return {**for_kind(train_config, drawn), "eval": {**evaluation, **extra}}
