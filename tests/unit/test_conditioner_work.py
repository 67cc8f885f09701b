"""Conditioners compute no bias that is discarded: the last layer gets the horizontal half of its bias only (its
vertical half fed only the vertical gate the last layer no longer computes). Parameters and their shapes are
unchanged (old checkpoints load as they are), and each bias equals the part of the full one the backbone reads,
bit for bit."""

from __future__ import annotations

import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode

from pixelcnn.conditioning import ClassConditioner, SpatialConditioner, VectorConditioner
from pixelcnn.nn import GatedPixelCNN
from tests.helpers import TINY_BACKBONE

LAYERS, HIDDEN, HEIGHT, WIDTH, DIM = TINY_BACKBONE["num_layers"], TINY_BACKBONE["hidden_channels"], 5, 4, 6
CHANNELS = 4 * HIDDEN


class Produced(TorchDispatchMode):
    """Counts the elements every non-view op writes while active."""

    def __init__(self) -> None:
        super().__init__()
        self.elements = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        if not func.is_view:
            self.elements += sum(t.numel() for t in (out if isinstance(out, (tuple, list)) else [out]))
        return out


def conditioner(kind: str) -> tuple[torch.nn.Module, torch.Tensor, int]:
    """A conditioner, a batch of 3 conditions, and the pixels each bias covers."""
    torch.manual_seed(0)
    if kind == "class":
        return ClassConditioner(LAYERS, CHANNELS, num_classes=4), torch.tensor([3, 0, 2]), 1
    if kind == "vector":
        return VectorConditioner(LAYERS, CHANNELS, cond_dim=DIM), torch.randn(3, DIM), 1
    spatial = SpatialConditioner(LAYERS, CHANNELS, (HEIGHT, WIDTH), cond_dim=DIM, map_channels=5)
    return spatial, torch.randn(3, DIM), HEIGHT * WIDTH


def full_biases(module: torch.nn.Module, cond: torch.Tensor) -> list[torch.Tensor]:
    """Every layer's whole bias, as the conditioners computed them before: one projection to L * 4h channels."""
    if isinstance(module, ClassConditioner):
        flat = module.table(cond)[:, :, None, None]
    elif isinstance(module, VectorConditioner):
        flat = module.project(cond)[:, :, None, None]
    else:
        flat = module.to_biases(module.spatial_map(cond))
    return list(flat.split(CHANNELS, dim=1))


@pytest.mark.parametrize("kind", ["class", "vector", "spatial"])
def test_the_last_layer_bias_is_its_horizontal_half_and_the_logits_are_unchanged(kind: str) -> None:
    module, cond, _ = conditioner(kind)
    with torch.no_grad():
        biases, full = module(cond), full_biases(module, cond)
    assert [b.shape[1] for b in biases] == [CHANNELS] * (LAYERS - 1) + [CHANNELS // 2]
    for bias, whole in zip(biases[:-1], full[:-1], strict=True):
        assert torch.equal(bias, whole)
    assert torch.equal(biases[-1], full[-1][:, CHANNELS // 2 :])
    # the parameters an old checkpoint holds, shapes included, load as they are
    state = {name: tensor.clone() for name, tensor in module.state_dict().items()}
    assert not module.load_state_dict(state, strict=True).missing_keys


@pytest.mark.parametrize("kind", ["class", "vector", "spatial"])
def test_no_element_of_an_unused_bias_is_computed(kind: str) -> None:
    """Everything the conditioner writes (past the spatial map) is a bias the backbone reads, nothing more."""
    module, cond, pixels = conditioner(kind)
    with torch.no_grad(), Produced() as produced:
        module(cond)
    before = 0
    if isinstance(module, SpatialConditioner):
        with torch.no_grad(), Produced() as prefix:
            module.spatial_map(cond)
        before = prefix.elements
    assert produced.elements - before == len(cond) * pixels * ((LAYERS - 1) * CHANNELS + CHANNELS // 2)


def test_the_last_layer_takes_its_horizontal_half_only_and_the_others_their_whole_bias() -> None:
    """One shape per layer: a whole bias for the last layer, or a half one for another, is refused."""
    backbone = GatedPixelCNN(1, 4, **TINY_BACKBONE).eval()
    x = torch.zeros(2, 1, 3, 3, dtype=torch.long)
    full = [torch.randn(2, CHANNELS, 1, 1) for _ in range(LAYERS)]
    half = CHANNELS // 2
    with torch.no_grad():
        backbone(x, full[:-1] + [full[-1][:, half:]])
        with pytest.raises(ValueError, match=rf"last layer's conditioning bias \(its horizontal half\) has {half} "):
            backbone(x, full)
        with pytest.raises(ValueError, match=f"a layer's conditioning bias has {CHANNELS} channels, got {half}"):
            backbone(x, [full[0][:, half:], *full[1:]])
