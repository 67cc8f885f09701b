"""The bottleneck carries information: trained for the same steps on the same offline data, the PixelCNN
auto-encoder reaches a lower test bits/dim than the unconditional PixelCNN with the same backbone."""

from __future__ import annotations

import math

import pytest
import torch

from pixelcnn.data import DigitsDataModule
from pixelcnn.models import PixelCNN, PixelCNNAutoEncoder
from pixelcnn.models.base import PixelCNNModule

BACKBONE = {"num_layers": 2, "hidden_channels": 8, "kernel_size": 3, "first_kernel_size": 3, "skip_channels": 8}
STEPS = 200


@pytest.fixture(autouse=True)
def _torch_threads() -> None:
    """One thread: these models are tiny, and on a shared 2-core machine a second thread only waits."""
    torch.set_num_threads(1)


@pytest.fixture(scope="module")
def digits() -> DigitsDataModule:
    datamodule = DigitsDataModule(
        image_shape=[1, 8, 8], num_levels=17, num_classes=10, batch_size=64, seed=0, val_size=200, test_size=297
    )
    datamodule.setup()
    return datamodule


def train_steps(model: PixelCNNModule, datamodule: DigitsDataModule, steps: int) -> PixelCNNModule:
    """``steps`` Adam steps on the model's own training loss (x, and for the auto-encoder h = encoder(x))."""
    torch.manual_seed(0)  # the same batches for every model
    optimizer = torch.optim.Adam(model.parameters(), lr=5e-3)
    done = 0
    while done < steps:
        for batch in datamodule.train_dataloader():
            loss = model.nll(batch[0], model.batch_condition(batch)).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            done += 1
            if done == steps:
                break
    return model.eval()


@torch.no_grad()
def test_bpd(model: PixelCNNModule, datamodule: DigitsDataModule, shuffle_codes: bool = False) -> float:
    total, dims = 0.0, 0
    for batch in datamodule.test_dataloader():
        x, cond = batch[0], model.batch_condition(batch)
        if shuffle_codes:  # decode every image from another image's code
            cond = model.encode(x).roll(1, dims=0)
        total += float(model.nll(x, cond).sum())
        dims += x.numel()
    return total / (dims * math.log(2))


test_bpd.__test__ = False  # a helper, not a test


def test_autoencoder_beats_unconditional_model_trained_as_long(digits: DigitsDataModule) -> None:
    torch.manual_seed(0)
    unconditional = train_steps(PixelCNN([1, 8, 8], 17, BACKBONE), digits, STEPS)
    torch.manual_seed(0)
    autoencoder = PixelCNNAutoEncoder(
        [1, 8, 8], 17, latent_dim=8, encoder={"kind": "conv", "channels": [16, 32]}, backbone=BACKBONE
    )
    autoencoder = train_steps(autoencoder, digits, STEPS)

    plain, coded = test_bpd(unconditional, digits), test_bpd(autoencoder, digits)
    wrong_codes = test_bpd(autoencoder, digits, shuffle_codes=True)
    # measured: unconditional 2.09, auto-encoder 2.03, auto-encoder given other images' codes 2.20
    assert coded < plain - 0.03, f"auto-encoder {coded:.3f} bits/dim vs unconditional {plain:.3f}"
    assert coded < wrong_codes - 0.05, f"own codes {coded:.3f} vs other images' codes {wrong_codes:.3f}"
