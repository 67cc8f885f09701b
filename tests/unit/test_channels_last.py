"""``model.channels_last``: the backbone's weights and activations in NHWC layout (auto: on CUDA only), the same
logits and NLL as the contiguous layout, and the same parameter names."""

from __future__ import annotations

import copy
from types import SimpleNamespace

import pytest
import torch

from pixelcnn.errors import ConfigValueError
from pixelcnn.models import ClassConditionalPixelCNN, SpatialConditionalPixelCNN
from tests.helpers import TINY_BACKBONE


def set_up(model: torch.nn.Module, device: str) -> None:
    """``model.setup`` as a trainer on ``device`` calls it (only the device is read)."""
    model._trainer = SimpleNamespace(strategy=SimpleNamespace(root_device=torch.device(device)))
    try:
        model.setup("fit")
    finally:
        model._trainer = None


def conv_inputs_channels_last(model: torch.nn.Module, x: torch.Tensor, cond: torch.Tensor) -> list[bool]:
    """Whether each vertical conv of the backbone got a channels_last input, over one forward pass."""
    seen: list[bool] = []
    hooks = [
        block.v_conv.conv.register_forward_pre_hook(
            lambda _m, args: seen.append(args[0].is_contiguous(memory_format=torch.channels_last))
        )
        for block in model.backbone.blocks
    ]
    try:
        model(x, cond)
    finally:
        for hook in hooks:
            hook.remove()
    return seen


@pytest.mark.parametrize("make", [ClassConditionalPixelCNN, SpatialConditionalPixelCNN])
def test_channels_last_gives_the_same_logits_and_nll(make) -> None:
    torch.manual_seed(0)
    extra = {"num_classes": 3} if make is ClassConditionalPixelCNN else {"cond_dim": 4}
    model = make((3, 5, 6), 8, backbone=TINY_BACKBONE, channels_last=True, **extra).eval()
    cond = torch.tensor([2, 0]) if make is ClassConditionalPixelCNN else torch.randn(2, 4)
    x = torch.randint(0, 8, (2, 3, 5, 6), generator=torch.Generator().manual_seed(1))
    contiguous = copy.deepcopy(model)
    set_up(model, "cpu")  # true: converted on any device
    weight = model.backbone.blocks[1].v_conv.conv.weight
    assert weight.is_contiguous(memory_format=torch.channels_last) and not weight.is_contiguous()
    assert all(conv_inputs_channels_last(model, x, cond))
    assert not any(conv_inputs_channels_last(contiguous, x, cond))
    torch.testing.assert_close(model(x, cond), contiguous(x, cond), rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(model.nll(x, cond), contiguous.nll(x, cond), rtol=1e-5, atol=1e-4)
    assert list(model.state_dict()) == list(contiguous.state_dict())  # checkpoints are the same either way


def test_auto_converts_on_cuda_only_and_bad_values_are_refused() -> None:
    for device, expected in (("cpu", False), ("cuda", True)):
        model = ClassConditionalPixelCNN((1, 4, 4), 4, num_classes=2, backbone=TINY_BACKBONE)
        assert model.hparams["channels_last"] == "auto"
        set_up(model, device)  # a CUDA device name only: the weights stay on the CPU
        assert model.backbone.memory_format == (torch.channels_last if expected else torch.contiguous_format)
    model = ClassConditionalPixelCNN((1, 4, 4), 4, num_classes=2, backbone=TINY_BACKBONE, channels_last=False)
    set_up(model, "cuda")
    assert model.backbone.memory_format == torch.contiguous_format
    bad = ClassConditionalPixelCNN((1, 4, 4), 4, num_classes=2, backbone=TINY_BACKBONE, channels_last="yes")
    with pytest.raises(ConfigValueError, match="model.channels_last must be auto, true or false"):
        set_up(bad, "cpu")
