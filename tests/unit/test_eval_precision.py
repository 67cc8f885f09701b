"""Bits/dim are measured in float32 whatever the training precision: a bf16-mixed trainer validates and tests
without autocast, so its val/bpd and test/bpd are the float32 numbers of the same weights."""

from __future__ import annotations

import math

import pytest
import pytorch_lightning as pl
import torch

from pixelcnn.data import DigitsDataModule
from pixelcnn.models import PixelCNN
from tests.helpers import TINY_BACKBONE


def float32_bpd(model: PixelCNN, loader) -> float:
    nll, dims = 0.0, 0
    with torch.no_grad():
        for batch in loader:
            nll += float(model.nll(batch[0]).double().sum())
            dims += batch[0].numel()
    return nll / (dims * math.log(2.0))


@pytest.mark.parametrize("stage", ["validate", "test"])
def test_a_bf16_mixed_trainer_measures_bits_per_dim_in_float32(stage: str) -> None:
    torch.manual_seed(0)
    backbone = {**TINY_BACKBONE, "hidden_channels": 32, "skip_channels": 32, "output_hidden": 64}
    model = PixelCNN((1, 8, 8), 17, backbone=backbone).eval()
    data = DigitsDataModule(image_shape=[1, 8, 8], num_levels=17, num_classes=None, batch_size=64, seed=0)
    data.setup("fit" if stage == "validate" else "test")
    loader = data.val_dataloader() if stage == "validate" else data.test_dataloader()
    expected = float32_bpd(model, loader)
    with torch.autocast("cpu", dtype=torch.bfloat16), torch.no_grad():  # what bf16 would have measured
        in_bf16 = float32_bpd(model, loader)
    assert abs(in_bf16 - expected) > 3e-5  # else this test could not tell the two apart
    trainer = pl.Trainer(accelerator="cpu", precision="bf16-mixed", logger=False, enable_progress_bar=False,
                         enable_model_summary=False)  # fmt: skip
    metrics = getattr(trainer, stage)(model, dataloaders=loader, verbose=False)[0]
    key = "val/bpd" if stage == "validate" else "test/bpd"
    assert metrics[key] == pytest.approx(expected, abs=1e-6)
