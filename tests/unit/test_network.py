"""The network is plain torch (``pixelcnn.nn.network``): importing it imports no Lightning, it computes what the
LightningModule that holds it (``model.net``) computes, and checkpoints written before it moved under ``net`` load,
strictly and with the same logits, through ``load_model`` and through a Lightning resume."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import pytorch_lightning as pl
import torch

import pixelcnn
from pixelcnn.callbacks.ema import EMA
from pixelcnn.checkpoints.registry import qualified_name
from pixelcnn.conditioning import ClassConditioner
from pixelcnn.figures.samples import SampleGrid
from pixelcnn.models import ClassConditionalPixelCNN, PixelCNN, PixelCNNAutoEncoder, PixelCNNModule
from pixelcnn.nn import GatedPixelCNN
from pixelcnn.nn.network import PixelCNNNetwork
from pixelcnn.tasks.resume import check_resumable
from tests.helpers import REPO, TINY_BACKBONE
from tests.helpers.averaging import quick_trainer, tiny_digits

SHAPE, LEVELS = (1, 8, 8), 17
KINDS = {
    "unconditional": lambda: PixelCNN(SHAPE, LEVELS, backbone=TINY_BACKBONE),
    "class": lambda: ClassConditionalPixelCNN(SHAPE, LEVELS, backbone=TINY_BACKBONE, num_classes=10),
    "autoencoder": lambda: PixelCNNAutoEncoder(
        SHAPE, LEVELS, backbone=TINY_BACKBONE, latent_dim=4, encoder={"channels": [8, 16]}
    ),
}
LIGHTNING = ("pytorch_lightning", "lightning", "lightning_fabric")


def test_importing_the_network_imports_no_lightning() -> None:
    code = (
        "import sys, pixelcnn.nn, pixelcnn.nn.network, pixelcnn.sampling, pixelcnn.conditioning\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({LIGHTNING!r})))"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert done.stdout.strip() == "[]", done.stdout


def inputs(model: PixelCNNModule) -> tuple[torch.Tensor, torch.Tensor | None]:
    x = torch.randint(0, LEVELS, (3, *SHAPE), generator=torch.Generator().manual_seed(1))
    return x, (torch.tensor([0, 4, 9]) if model.num_classes else None)


@pytest.mark.parametrize("kind", KINDS)
def test_the_module_holds_only_the_network_and_computes_what_it_computes(kind: str) -> None:
    torch.manual_seed(0)
    model = KINDS[kind]().eval()
    assert all(key.startswith("net.") for key in model.state_dict())  # the LightningModule adds no weights
    x, cond = inputs(model)
    assert torch.equal(model(x, cond), model.net(x, cond))
    assert torch.equal(model.nll(x, cond), model.net.nll(x, cond))
    cond = x if kind == "autoencoder" else cond
    assert torch.equal(model.sample(3, cond, seed=2), model.net.sample(3, cond, seed=2))


def test_a_network_built_in_plain_torch_is_the_model_of_the_same_seed() -> None:
    torch.manual_seed(0)
    backbone = functools.partial(GatedPixelCNN, **TINY_BACKBONE)
    net = PixelCNNNetwork(
        SHAPE, LEVELS, backbone=backbone, conditioner=functools.partial(ClassConditioner, num_classes=10)
    )
    torch.manual_seed(0)
    model = KINDS["class"]()
    x, cond = inputs(model)
    assert net.num_classes == 10 and torch.equal(net.eval()(x, cond), model.eval()(x, cond))
    assert torch.equal(net.sample(3, cond, seed=5), model.sample(3, cond, seed=5))


def old_layout(state_dict: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The keys a checkpoint written before ``net`` existed holds: ``backbone.*``, ``conditioner.*``, ``encoder.*``."""
    assert all(key.startswith("net.") for key in state_dict)
    return {key.removeprefix("net."): value for key, value in state_dict.items()}


@pytest.mark.parametrize("kind", KINDS)
def test_an_old_checkpoint_loads_strictly_with_the_same_logits(kind: str, tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = KINDS[kind]().eval()
    old = {
        "state_dict": old_layout(model.state_dict()),
        "model_target": qualified_name(type(model)),
        "hyper_parameters": dict(model.hparams),
    }
    torch.save(old, tmp_path / "old.ckpt")
    loaded = pixelcnn.load_model(tmp_path / "old.ckpt")  # a strict load_state_dict
    x, cond = inputs(model)
    assert torch.equal(loaded(x, cond), model(x, cond))


class FirstWeights(pl.Callback):
    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.weights = {k: v.detach().clone() for k, v in pl_module.state_dict().items()}


@pytest.mark.parametrize("ema", [False, True], ids=["plain", "ema"])
def test_a_training_run_resumes_from_an_old_checkpoint(ema: bool, tmp_path: Path) -> None:
    averaging = lambda: [EMA(decay=0.5)] if ema else []  # noqa: E731
    torch.manual_seed(0)
    trainer = quick_trainer(tmp_path, max_steps=1, callbacks=averaging())
    trainer.fit(KINDS["class"](), datamodule=tiny_digits())
    trainer.save_checkpoint(tmp_path / "new.ckpt")
    checkpoint: dict[str, Any] = torch.load(tmp_path / "new.ckpt", weights_only=True)
    parts = [part for part in ("state_dict", "current_model_state") if part in checkpoint]
    assert parts == (["state_dict", "current_model_state"] if ema else ["state_dict"])
    torch.save({**checkpoint, **{part: old_layout(checkpoint[part]) for part in parts}}, tmp_path / "old.ckpt")

    model, first = KINDS["class"](), FirstWeights()
    check_resumable(tmp_path / "old.ckpt", model)  # what train.py checks before handing it to Lightning
    resumed = quick_trainer(tmp_path, max_steps=2, callbacks=[first, *averaging()])
    resumed.fit(model, datamodule=tiny_digits(), ckpt_path=tmp_path / "old.ckpt")
    assert resumed.global_step == 2
    raw = checkpoint[parts[-1]]  # the weights training goes on from (with EMA: the raw ones, not the average)
    assert first.weights.keys() == raw.keys()
    assert all(torch.equal(first.weights[key], raw[key]) for key in raw)


@pytest.mark.parametrize("kind", ["unconditional", "class"])
def test_the_sample_grid_draws_from_a_bare_network(kind: str, tmp_path: Path) -> None:
    net = KINDS[kind]().net
    grid = SampleGrid(num_samples=4)
    assert grid.applies_to(net)
    assert grid.draw(net, None, tmp_path, {"fast": True})["samples"].is_file()
