"""The conditioner's own weights reach the logits through both gates' sigmoid halves in every layer, and a training
step hands the batch's labels (or embeddings) to the conditioner."""

from __future__ import annotations

from pathlib import Path

import pytest
import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader, TensorDataset

from pixelcnn.models import ClassConditionalPixelCNN, EmbeddingConditionalPixelCNN, SpatialConditionalPixelCNN
from tests.helpers import TINY_BACKBONE
from tests.helpers.averaging import quick_trainer

SHAPE, LEVELS, COND_DIM, CLASSES = (1, 4, 4), 4, 5, 3
HALVES = {"vertical sigmoid": 1, "horizontal sigmoid": 3}  # quarters of a layer's rows: v-tanh v-sigm h-tanh h-sigm


def build(kind: str) -> tuple[torch.nn.Module, torch.Tensor, torch.Tensor]:
    """(model, cond of 2 images, the conditioner weight whose row r feeds channel r of the stacked biases)."""
    torch.manual_seed(0)
    if kind == "class":
        model = ClassConditionalPixelCNN(SHAPE, LEVELS, num_classes=CLASSES, backbone=TINY_BACKBONE)
        return model, torch.tensor([2, 0]), model.conditioner.table.weight.T  # V: one column per bias channel
    if kind == "vector":
        model = EmbeddingConditionalPixelCNN(SHAPE, LEVELS, cond_dim=COND_DIM, backbone=TINY_BACKBONE)
        return model, torch.randn(2, COND_DIM), model.conditioner.project.weight
    model = SpatialConditionalPixelCNN(SHAPE, LEVELS, cond_dim=COND_DIM, backbone=TINY_BACKBONE)
    return model, torch.randn(2, COND_DIM), model.conditioner.to_biases.weight


@pytest.mark.parametrize("kind", ["class", "vector", "spatial"])
@pytest.mark.parametrize("half", list(HALVES))
def test_the_sigmoid_rows_of_every_layer_reach_the_logits(kind: str, half: str) -> None:
    model, cond, weight = build(kind)
    model.eval()
    x = torch.randint(0, LEVELS, (2, *SHAPE), generator=torch.Generator().manual_seed(1))
    layers, width = model.conditioner.num_layers, model.conditioner.cond_channels
    with torch.no_grad():
        before = model(x, cond)
        for layer in range(layers - 1 if half.startswith("vertical") else layers):  # the last has no vertical gate
            start = layer * width + HALVES[half] * width // 4
            rows = weight.view(weight.shape[0], -1)[start : start + width // 4]
            saved = rows.clone()
            rows.add_(10 * torch.randn_like(rows))  # only the conditioner's rows for this gate half of this layer
            moved = (model(x, cond) - before).abs().max()
            rows.copy_(saved)
            assert moved > 1e-6, f"{kind}: layer {layer}'s {half} rows do not reach the logits"


class RecordCondition(pl.Callback):
    """The batch of each training step and the last input the conditioner received while that step ran."""

    def __init__(self, model: pl.LightningModule) -> None:
        self.batches: list[tuple[torch.Tensor, ...]] = []
        self.given: list[torch.Tensor] = []
        self.last: torch.Tensor | None = None
        model.conditioner.register_forward_hook(lambda _m, inputs, _out: setattr(self, "last", inputs[0].clone()))

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        self.batches.append(tuple(t.clone() for t in batch))
        self.last = None

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        self.given.append(self.last)


@pytest.mark.parametrize("kind", ["class", "vector"])
def test_a_training_step_gives_the_conditioner_the_batch_labels(kind: str, tmp_path: Path) -> None:
    model, _, _ = build(kind)
    images = torch.randint(0, LEVELS, (8, *SHAPE))
    cond = torch.arange(8) % CLASSES if kind == "class" else torch.randn(8, COND_DIM)
    recorder = RecordCondition(model)
    trainer = quick_trainer(tmp_path, max_steps=2, limit_val_batches=0, callbacks=[recorder])
    trainer.fit(model, train_dataloaders=DataLoader(TensorDataset(images, cond), batch_size=4, shuffle=True))
    assert len(recorder.batches) == len(recorder.given) == 2
    for (_, labels), given in zip(recorder.batches, recorder.given, strict=True):
        assert given is not None and torch.equal(given, labels)
