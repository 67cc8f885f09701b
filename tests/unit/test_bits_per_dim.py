"""Exact numbers: a uniform model gives log2(K) bits/dim; the metric sums NLL and dimensions, not batch means."""

from __future__ import annotations

import math

import pytest
import torch

from pixelcnn.metrics import BitsPerDim
from pixelcnn.models import PixelCNN
from tests.helpers import TINY_BACKBONE


def uniform_model(image_shape: list[int], levels: int) -> PixelCNN:
    model = PixelCNN(image_shape, levels, backbone=TINY_BACKBONE)
    torch.nn.init.zeros_(model.backbone.head_out.conv.weight)
    torch.nn.init.zeros_(model.backbone.head_out.conv.bias)
    return model.eval()


@pytest.mark.parametrize(("image_shape", "levels", "expected"), [([3, 8, 8], 256, 8.0), ([1, 8, 8], 17, None)])
def test_zero_output_layer_gives_exactly_log2_k_bits_per_dim(image_shape, levels, expected) -> None:
    model = uniform_model(image_shape, levels)
    x = torch.randint(0, levels, (5, *image_shape))
    bpd = model.nll(x) / (math.prod(image_shape) * math.log(2.0))  # nats per image -> bits per sub-pixel
    assert torch.allclose(bpd, torch.full((5,), math.log2(levels)), atol=1e-5)
    if expected is not None:
        assert round(float(bpd.mean()), 2) == expected


def test_uniform_model_through_the_lightning_test_loop() -> None:
    import pytorch_lightning as pl
    from torch.utils.data import DataLoader, TensorDataset

    model = uniform_model([3, 4, 4], 256)
    x = torch.randint(0, 256, (7, 3, 4, 4))
    loader = DataLoader(TensorDataset(x, torch.zeros(7, dtype=torch.long)), batch_size=3)  # uneven last batch
    trainer = pl.Trainer(accelerator="cpu", logger=False, enable_progress_bar=False, enable_model_summary=False)
    (result,) = trainer.test(model, loader, verbose=False)
    assert result["test/bpd"] == pytest.approx(8.0, abs=1e-5)


def test_metric_divides_total_nll_by_total_dims() -> None:
    metric = BitsPerDim()
    metric.update(torch.tensor([10.0, 20.0, 30.0]), dims_per_image=4)
    metric.update(torch.tensor([100.0]), dims_per_image=4)
    # 160 nats over 16 dims -- not the mean of the two batch means (which would weight the last batch x3)
    assert float(metric.compute()) == pytest.approx(160.0 / (16 * math.log(2.0)))


def test_loss_is_bits_per_dim_and_gradients_flow() -> None:
    model = PixelCNN([1, 8, 8], 17, backbone=TINY_BACKBONE)
    x = torch.randint(0, 17, (4, 1, 8, 8))
    loss = model.training_step((x, torch.zeros(4, dtype=torch.long)), 0)
    expected = model.nll(x).mean() / (64 * math.log(2.0))
    assert float(loss) == pytest.approx(float(expected), rel=1e-5)
    loss.backward()
    assert all(p.grad is not None for p in model.backbone.parameters())
