"""One evaluation-mode context manager for every "compute in eval mode, then put the mode back" in the package."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from pixelcnn.models import PixelCNN
from pixelcnn.nn.modes import eval_mode
from tests.helpers import TINY_BACKBONE


def modes(module: nn.Module) -> list[bool]:
    return [part.training for part in module.modules()]


def test_every_part_gets_its_own_mode_back_also_after_an_error() -> None:
    model = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5), nn.BatchNorm1d(2)).train()
    model[2].eval()  # a frozen part inside a training model
    before = modes(model)
    with eval_mode(model):
        assert not any(modes(model))
    assert modes(model) == before
    with pytest.raises(RuntimeError, match="boom"), eval_mode(model):
        raise RuntimeError("boom")
    assert modes(model) == before


def test_sampling_and_flop_counting_leave_the_model_as_they_found_it() -> None:
    model = PixelCNN((1, 4, 4), 4, backbone=TINY_BACKBONE).train()
    model.backbone.head_out.eval()
    before = modes(model)
    model.sample(2, seed=0)
    model.count_flops([torch.zeros(2, 1, 4, 4, dtype=torch.long)])
    assert modes(model) == before
