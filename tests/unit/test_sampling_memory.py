"""``sample(n, cond, batch_size=b)`` builds the per-layer biases of one chunk at a time, for every kind of
conditioning: memory is bounded by b, not n (``benchmarks/sampling_memory.py`` measures it)."""

from __future__ import annotations

import pytest
import torch

from pixelcnn.models import (
    ClassConditionalPixelCNN,
    EmbeddingConditionalPixelCNN,
    PixelCNNAutoEncoder,
    SpatialConditionalPixelCNN,
)
from tests.helpers import TINY_BACKBONE

SHAPE, LEVELS, N, BATCH = (1, 4, 4), 4, 10, 3


def model_and_cond(kind: str) -> tuple[torch.nn.Module, torch.Tensor]:
    torch.manual_seed(0)
    if kind == "class":
        return ClassConditionalPixelCNN(SHAPE, LEVELS, num_classes=3, backbone=TINY_BACKBONE), torch.arange(N) % 3
    if kind == "autoencoder":
        model = PixelCNNAutoEncoder(SHAPE, LEVELS, latent_dim=2, encoder={"channels": [4]}, backbone=TINY_BACKBONE)
        return model, torch.randint(0, LEVELS, (N, *SHAPE))  # images, encoded per chunk too
    kinds = {"vector": EmbeddingConditionalPixelCNN, "spatial": SpatialConditionalPixelCNN}
    return kinds[kind](SHAPE, LEVELS, cond_dim=5, backbone=TINY_BACKBONE), torch.randn(N, 5)


@pytest.mark.parametrize("kind", ["class", "vector", "spatial", "autoencoder"])
@pytest.mark.parametrize("capture", [False, True])
def test_biases_are_built_per_chunk(kind: str, capture: bool) -> None:
    model, cond = model_and_cond(kind)
    sizes: list[int] = []
    model.conditioner.register_forward_hook(lambda _module, inputs, _out: sizes.append(inputs[0].shape[0]))
    chunked = model.sample(N, cond, batch_size=BATCH, capture=capture)
    assert max(sizes) <= BATCH, sizes  # never the biases of all n images at once
    assert sum(sizes) >= N
    sizes.clear()
    assert torch.equal(chunked, model.sample(N, cond, capture=capture))  # the same images at any chunking
    assert sizes and max(sizes) == N


def test_a_wrong_cond_is_refused_for_all_n_before_sampling() -> None:
    model, cond = model_and_cond("class")
    with pytest.raises(ValueError, match=r"LongTensor \(10,\)"):
        model.sample(N, cond[:-1], batch_size=BATCH)
