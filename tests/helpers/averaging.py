"""Tiny training runs with weight averaging, and the Polyak average computed by hand to check it against."""

from __future__ import annotations

from pathlib import Path

import pytorch_lightning as pl
import torch

from pixelcnn.data import DigitsDataModule


def tiny_digits() -> DigitsDataModule:
    return DigitsDataModule(image_shape=[1, 8, 8], num_levels=17, num_classes=10, batch_size=32, seed=0)


def quick_trainer(tmp_path: Path, **kwargs) -> pl.Trainer:
    options = dict(
        max_steps=3, limit_val_batches=1, logger=False, enable_progress_bar=False, enable_model_summary=False
    )
    return pl.Trainer(accelerator="cpu", devices=1, default_root_dir=tmp_path, **{**options, **kwargs})


class RecordWeights(pl.Callback):
    """The raw (trained) weights after each optimizer step: ``weights[global_step]``."""

    def __init__(self) -> None:
        self.weights: dict[int, dict[str, torch.Tensor]] = {}

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        if trainer.global_step > 0:  # with gradient accumulation, batches before the first step change nothing
            self.weights[trainer.global_step] = {k: v.detach().clone() for k, v in pl_module.state_dict().items()}


def warmup_average(start: dict[str, torch.Tensor] | None, raw: list[dict[str, torch.Tensor]], decay: float, t: int):
    """The Polyak average by hand: the first update copies the weights, update t >= 1 mixes with
    d = min(decay, (1+t)/(10+t)); ``start`` is the average after ``t`` updates (None: no update yet)."""
    average = start
    for weights in raw:
        if average is None:
            average = {k: v.clone() for k, v in weights.items()}
        else:
            d = min(decay, (1 + t) / (10 + t))
            average = {k: d * average[k] + (1 - d) * weights[k] for k in average}
        t += 1
    return average


def assert_weights_close(actual: dict[str, torch.Tensor], expected: dict[str, torch.Tensor]) -> None:
    assert set(actual) == set(expected)
    for key in expected:
        assert torch.allclose(actual[key], expected[key], atol=1e-6), key
