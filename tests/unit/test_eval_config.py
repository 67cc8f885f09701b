"""An eval run logs only the config keys that apply to its model kind (``pixelcnn.logging.eval_config``)."""

from __future__ import annotations

from typing import Any

import hydra
import pytest

from pixelcnn.logging.eval_config import drawn_figures, eval_run_config
from pixelcnn.tasks.runtime import resolved


def flat(config: dict[str, Any], prefix: str = "") -> set[str]:
    """Every leaf key, ``a/b/c``, as W&B's config table shows them."""
    keys: set[str] = set()
    for key, value in config.items():
        if isinstance(value, dict) and value:
            keys |= flat(value, f"{prefix}{key}/")
        else:
            keys.add(f"{prefix}{key}")
    return keys


def logged_keys(make_config, model_choice: str) -> set[str]:
    """The keys an eval of a ``model_choice`` checkpoint logs: the training run's config and the eval's."""
    train = make_config(f"model={model_choice}", "model/backbone=small", "logger=wandb")
    model = hydra.utils.instantiate(train.model, _convert_="all")
    train_config = resolved(train)
    evaluation = make_config("ckpt_path=x.ckpt", "logger=wandb", name="eval")
    drawn = drawn_figures(evaluation.figures, model)
    return flat(eval_run_config(train_config, resolved(evaluation), drawn, model_artifact=None))


@pytest.mark.parametrize("model_choice", ["gated", "gated_cond"])
def test_an_eval_logs_only_the_figures_its_kind_draws(make_config, model_choice) -> None:
    keys = logged_keys(make_config, model_choice)
    figures = {key.split("/")[1] for key in keys if key.startswith("figures/")}
    eval_figures = {key.split("/")[2] for key in keys if key.startswith("eval/figures/")}
    assert figures == eval_figures == {"samples"}  # no portraits, no reconstructions
    assert {"sampling/fast", "eval/sampling/fast"} <= keys  # its figures sample
    assert not {key for key in keys if key.startswith(("eval/logger", "eval/print_config", "eval/compare_ckpt"))}
    assert {"eval/ckpt_path", "eval/splits", "eval/model_artifact", "model/optimizer/lr", "data/batch_size"} <= keys
    assert not {"eval/trainer/max_epochs", "logger/wandb/project"} & keys and "eval/trainer/precision" in keys
    # 189 before: every figure, both loggers, the whole trainer; 4 are the preview callback's sampling options
    assert len(keys) < 135, len(keys)


def test_a_kind_that_draws_nothing_logs_no_figure_or_sampling_options() -> None:
    config = {"model": {"a": 1}, "figures": {"samples": {"num_samples": 4}}, "sampling": {"fast": True}}
    logged = eval_run_config(config, {**config, "compare_ckpt": "b.ckpt", "logger": {}}, drawn=[])
    assert logged == {"model": {"a": 1}, "eval": {"model": {"a": 1}, "compare_ckpt": "b.ckpt"}}
