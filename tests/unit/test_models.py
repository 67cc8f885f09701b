"""The public model API: shapes, conditioning in every layer, deterministic sampling, clear input errors."""

from __future__ import annotations

import pytest
import torch

from pixelcnn.errors import InputError
from pixelcnn.models import ClassConditionalPixelCNN, PixelCNN
from tests.helpers import TINY_BACKBONE


@pytest.fixture
def cond_model() -> ClassConditionalPixelCNN:
    torch.manual_seed(0)
    return ClassConditionalPixelCNN([3, 6, 5], 8, num_classes=4, backbone=TINY_BACKBONE).eval()


def test_forward_nll_and_sample_shapes(cond_model: ClassConditionalPixelCNN) -> None:
    x = torch.randint(0, 8, (2, 3, 6, 5))
    labels = torch.tensor([0, 3])
    assert cond_model(x, labels).shape == (2, 8, 3, 6, 5)
    nll = cond_model.nll(x, labels)
    assert nll.shape == (2,) and torch.all(nll > 0)
    samples = cond_model.sample(2, cond=labels, seed=1)
    assert samples.shape == (2, 3, 6, 5) and samples.dtype == torch.long
    assert cond_model.image_shape == (3, 6, 5) and cond_model.num_levels == 8 and cond_model.num_classes == 4


def test_class_label_enters_every_layer(cond_model: ClassConditionalPixelCNN) -> None:
    """Each layer's own outputs change with the label, also with every other layer's class bias equal."""
    x = torch.randint(0, 8, (1, 3, 6, 5))
    outputs: dict[tuple[int, int], torch.Tensor] = {}

    def keep(index: int, label: int):
        def hook(module, args, out):
            # the vertical stack output of that block; the last block has none (nothing reads it): its skip output
            outputs[(index, label)] = out[2] if out[0] is None else out[0]

        return hook

    for label in (0, 1):
        handles = [b.register_forward_hook(keep(i, label)) for i, b in enumerate(cond_model.backbone.blocks)]
        cond_model(x, torch.tensor([label]))
        for handle in handles:
            handle.remove()
    for index in range(len(cond_model.backbone.blocks)):
        assert not torch.allclose(outputs[(index, 0)], outputs[(index, 1)]), f"layer {index} ignores the label"

    # the label is not fed only through the first layer: each layer gets its own learned bias
    biases = cond_model.condition(torch.tensor([0, 1]), 2)
    assert len(biases) == cond_model.backbone.num_layers
    assert all(not torch.allclose(b[0], b[1]) for b in biases)


def test_labels_change_the_logits(cond_model: ClassConditionalPixelCNN) -> None:
    x = torch.randint(0, 8, (1, 3, 6, 5))
    assert not torch.allclose(cond_model(x, torch.tensor([0])), cond_model(x, torch.tensor([2])))


def test_same_seed_same_images_other_seed_other_images() -> None:
    torch.manual_seed(0)
    model = PixelCNN([1, 5, 5], 6, backbone=TINY_BACKBONE)
    model.train()  # sample() must switch to eval (dropout off) and back
    first = model.sample(3, seed=11)
    assert model.training
    assert torch.equal(first, model.sample(3, seed=11))
    assert not torch.equal(first, model.sample(3, seed=12))
    assert 0 <= int(first.min()) and int(first.max()) < 6


def test_samples_follow_the_model_distribution() -> None:
    """With a bias-only output layer, samples of every sub-pixel follow softmax(bias): checks inverse-CDF draws."""
    torch.manual_seed(0)
    model = PixelCNN([1, 2, 2], 3, backbone=TINY_BACKBONE).eval()
    torch.nn.init.zeros_(model.backbone.head_out.conv.weight)
    with torch.no_grad():
        model.backbone.head_out.conv.bias.copy_(torch.log(torch.tensor([0.2, 0.5, 0.3])))
    samples = model.sample(3000, seed=0)
    freq = torch.bincount(samples.flatten(), minlength=3).float() / samples.numel()
    assert torch.allclose(freq, torch.tensor([0.2, 0.5, 0.3]), atol=0.02)


@pytest.mark.parametrize(
    ("x", "cond", "message"),
    [
        (torch.zeros(2, 1, 6, 5, dtype=torch.long), torch.tensor([0, 1]), r"shape \(2, 1, 6, 5\).*\(B, 3, 6, 5\)"),
        (torch.zeros(2, 3, 5, 6, dtype=torch.long), torch.tensor([0, 1]), r"\(B, 3, 6, 5\)"),
        (torch.zeros(2, 3, 6, 5), torch.tensor([0, 1]), "LongTensor"),
        (torch.full((2, 3, 6, 5), 8), torch.tensor([0, 1]), r"\[8, 8\].*8 levels"),
        (torch.zeros(2, 3, 6, 5, dtype=torch.long), None, "class-conditional: pass cond"),
        (torch.zeros(2, 3, 6, 5, dtype=torch.long), torch.tensor([0]), r"\(2,\) of class ids"),
        (torch.zeros(2, 3, 6, 5, dtype=torch.long), torch.tensor([0, 4]), r"class ids must lie in \[0, 4\)"),
        (torch.zeros(2, 3, 6, 5, dtype=torch.long), torch.zeros(2, 4), "LongTensor"),
    ],
)
def test_bad_input_gets_a_clear_error(cond_model, x, cond, message) -> None:
    with pytest.raises(InputError, match=message):
        cond_model.nll(x, cond)


def test_class_model_without_labels_is_refused() -> None:
    with pytest.raises(InputError, match="needs class labels"):
        ClassConditionalPixelCNN([3, 8, 8], 256, num_classes=None)


def test_even_kernel_is_refused() -> None:
    with pytest.raises(ValueError, match="odd"):
        PixelCNN([1, 8, 8], 4, backbone={**TINY_BACKBONE, "kernel_size": 4})
