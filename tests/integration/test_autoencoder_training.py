"""The bottleneck carries information: trained for the same steps on the same offline data, the PixelCNN
auto-encoder reaches a lower test bits/dim than the unconditional PixelCNN with the same backbone; and its encoder
is trained with it: a frozen random encoder does measurably worse."""

from __future__ import annotations

import math

import pytest
import pytorch_lightning as pl
import torch

from pixelcnn.data import DigitsDataModule
from pixelcnn.models import PixelCNN, PixelCNNAutoEncoder, PixelCNNModule

BACKBONE = {"num_layers": 2, "hidden_channels": 8, "kernel_size": 3, "first_kernel_size": 3, "skip_channels": 8}
STEPS = 200
AE_STEPS = 400  # the encoder test: enough for the trained encoder to pull clearly ahead


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
    unconditional = train_steps(PixelCNN([1, 8, 8], 17, backbone=BACKBONE), digits, STEPS)
    torch.manual_seed(0)
    autoencoder = PixelCNNAutoEncoder([1, 8, 8], 17, latent_dim=8, encoder={"channels": [16, 32]}, backbone=BACKBONE)
    autoencoder = train_steps(autoencoder, digits, STEPS)

    plain, coded = test_bpd(unconditional, digits), test_bpd(autoencoder, digits)
    wrong_codes = test_bpd(autoencoder, digits, shuffle_codes=True)
    # measured: unconditional 2.09, auto-encoder 2.03, auto-encoder given other images' codes 2.20
    assert coded < plain - 0.03, f"auto-encoder {coded:.3f} bits/dim vs unconditional {plain:.3f}"
    assert coded < wrong_codes - 0.05, f"own codes {coded:.3f} vs other images' codes {wrong_codes:.3f}"


def fit_autoencoder(freeze_encoder: bool, steps: int) -> tuple[PixelCNNAutoEncoder, bool, float]:
    """A tiny auto-encoder fitted by Lightning (its own ``configure_optimizers``) for ``steps`` steps from seed 0:
    (model, whether its encoder's weights moved, test bits/dim)."""
    datamodule = DigitsDataModule(
        image_shape=[1, 8, 8], num_levels=17, num_classes=10, batch_size=64, seed=0, val_size=200, test_size=297
    )
    pl.seed_everything(0, verbose=False)  # the same initial weights and batches for both fits
    model = PixelCNNAutoEncoder(
        [1, 8, 8], 17, latent_dim=4, encoder={"channels": [16, 32]}, backbone=BACKBONE, optimizer={"lr": 0.01}
    )
    if freeze_encoder:
        model.encoder.requires_grad_(False)
    before = [p.detach().clone() for p in model.encoder.parameters()]
    quiet = {"logger": False, "enable_checkpointing": False, "enable_progress_bar": False}
    quiet |= {"enable_model_summary": False, "num_sanity_val_steps": 0, "limit_val_batches": 0}
    trainer = pl.Trainer(max_steps=steps, max_epochs=-1, accelerator="cpu", devices=1, **quiet)
    trainer.fit(model, datamodule=datamodule)
    moved = any(not torch.equal(a, b) for a, b in zip(before, model.encoder.parameters(), strict=True))
    return model, moved, trainer.test(model, datamodule=datamodule, verbose=False)[0]["test/bpd"]


def test_encoder_is_trained_and_beats_a_frozen_random_encoder() -> None:
    frozen, frozen_moved, frozen_bpd = fit_autoencoder(freeze_encoder=True, steps=AE_STEPS)
    optimizer = frozen.configure_optimizers()
    optimizer = optimizer["optimizer"] if isinstance(optimizer, dict) else optimizer
    optimized = {id(p) for group in optimizer.param_groups for p in group["params"]}
    assert optimized == {id(p) for p in frozen.parameters() if p.requires_grad}  # frozen parts are not optimized
    assert not frozen_moved

    _, trained_moved, trained_bpd = fit_autoencoder(freeze_encoder=False, steps=AE_STEPS)
    # measured (400 steps, seeds 0-3): trained encoder 1.92-1.95 bits/dim, frozen random encoder 0.053-0.067 more
    assert trained_bpd < frozen_bpd - 0.03, f"trained encoder {trained_bpd:.3f} vs frozen {frozen_bpd:.3f} bits/dim"
    assert trained_moved, "the encoder's weights did not change during fit"
