"""Training throughput from public Lightning hooks: images/s, FLOP/s and MFU once per epoch, in the
logger, even for runs shorter than ``log_every_n_steps``; FLOPs per batch counted once from one image."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import pytorch_lightning as pl
import torch
from pytorch_lightning.loggers import CSVLogger
from torch.utils.flop_counter import FlopCounterMode

from pixelcnn.callbacks import TrainingThroughput
from pixelcnn.data import DigitsDataModule
from pixelcnn.models import ClassConditionalPixelCNN, PixelCNN
from tests.helpers import TINY_BACKBONE

PEAK = 1e12  # a made-up device peak, so MFU is logged on CPU


def fit(model: pl.LightningModule, tmp_path: Path) -> list[dict[str, str]]:
    data = DigitsDataModule(image_shape=[1, 8, 8], num_levels=17, num_classes=10, batch_size=16, seed=0)
    trainer = pl.Trainer(
        accelerator="cpu",
        max_epochs=2,
        limit_train_batches=3,
        limit_val_batches=1,
        log_every_n_steps=50,  # longer than the run: the per-epoch values must not depend on it
        logger=CSVLogger(tmp_path, name="", version=""),
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        callbacks=[TrainingThroughput()],
    )
    trainer.fit(model, datamodule=data)
    with open(tmp_path / "metrics.csv", newline="") as file:
        return list(csv.DictReader(file))


def column(rows: list[dict[str, str]], key: str) -> list[float]:
    return [float(row[key]) for row in rows if row.get(key)]


def test_images_per_sec_flops_and_mfu_are_logged_once_per_epoch(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr("pixelcnn.callbacks.throughput.get_available_flops", lambda *_: PEAK)
    model = ClassConditionalPixelCNN((1, 8, 8), 17, num_classes=10, backbone=TINY_BACKBONE)
    rows = fit(model, tmp_path)
    images, flops, mfu = (column(rows, f"train/{k}") for k in ("images_per_sec", "flops_per_sec", "mfu"))
    assert len(images) == len(flops) == len(mfu) == 2 and all(v > 0 for v in images)
    assert model.flops_per_batch and model.flops_per_batch > 0
    for rate, achieved, utilisation in zip(images, flops, mfu, strict=True):
        assert achieved == pytest.approx(rate / 16 * model.flops_per_batch, rel=1e-4)  # 3 batches of 16 each
        assert utilisation == pytest.approx(achieved / PEAK, rel=1e-4)
    assert not [k for row in rows for k in row if k.startswith(("validate/", "train/device/"))]  # no per-step keys


def test_flops_per_batch_is_a_full_batch_forward_and_backward() -> None:
    model = ClassConditionalPixelCNN((1, 8, 8), 17, num_classes=10, backbone=TINY_BACKBONE).train()
    x, y = torch.randint(0, 17, (5, 1, 8, 8)), torch.randint(0, 10, (5,))
    with FlopCounterMode(display=False) as counter:
        model.nll(x, y).sum().backward()
    model.zero_grad(set_to_none=True)
    assert model.count_flops([x, y]) == counter.get_total_flops() > 0
    assert model.training and all(p.grad is None for p in model.parameters())  # no side effects


def test_without_a_peak_mfu_is_left_out(tmp_path: Path) -> None:
    rows = fit(PixelCNN((1, 8, 8), 17, backbone=TINY_BACKBONE), tmp_path)  # CPU: Lightning knows no peak
    assert len(column(rows, "train/images_per_sec")) == 2 and len(column(rows, "train/flops_per_sec")) == 2
    assert not column(rows, "train/mfu")
