"""Samples follow the model's joint distribution of one pixel's R, G, B: p(r) p(g | r) p(b | r, g), the
factorisation the masks implement, drawn by the cached sampler with one uniform per sub-pixel."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from scipy.stats import chisquare

from pixelcnn.models import ClassConditionalPixelCNN, PixelCNN, PixelCNNModule
from tests.helpers import TINY_BACKBONE

NUM_SAMPLES = 20000


def random_model(model: PixelCNNModule, seed: int) -> PixelCNNModule:
    """Random weights scaled up (the output head most) so that p(r, g, b) is far from uniform and G, B depend
    clearly on the channels before them."""
    torch.manual_seed(seed)
    model.load_state_dict(type(model)(**model.hparams).state_dict())  # a fresh init of this seed
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if name.endswith("weight"):
                parameter.mul_(6.0 if name.startswith("net.backbone.head") else 2.5)
    return model.eval()


def all_pixels(levels: int) -> torch.Tensor:
    """Every (r, g, b) in [0, K)^3, (K^3, 3), r slowest."""
    return torch.tensor(list(itertools.product(range(levels), repeat=3)))


def joint_from_logits(model: PixelCNNModule, cond: torch.Tensor | None) -> torch.Tensor:
    """p(r, g, b) of pixel (0, 0) as (K, K, K): the image is 0 elsewhere (later pixels cannot matter)."""
    levels, (_, height, width) = model.num_levels, model.image_shape
    pixels = all_pixels(levels)
    x = torch.zeros(len(pixels), 3, height, width, dtype=torch.long)
    x[:, :, 0, 0] = pixels
    with torch.no_grad():
        logits = model(x, None if cond is None else cond[:1].expand(len(x)))
    log_p = logits[:, :, :, 0, 0].double().log_softmax(dim=1)  # (K^3, K, 3)
    joint = sum(log_p[torch.arange(len(x)), pixels[:, c], c] for c in range(3))
    return joint.exp().view(levels, levels, levels)


def assert_samples_follow(joint: torch.Tensor, pixels: torch.Tensor) -> None:
    """Chi-square goodness of fit of sampled pixels (N, 3) to ``joint`` (K, K, K); cells expecting < 5 pooled."""
    levels = joint.shape[0]
    index = (pixels[:, 0] * levels + pixels[:, 1]) * levels + pixels[:, 2]
    observed = np.bincount(index.numpy(), minlength=levels**3).astype(float)
    expected = joint.flatten().numpy() / float(joint.sum()) * len(pixels)
    small = expected < 5
    if small.any():
        observed = np.append(observed[~small], observed[small].sum())
        expected = np.append(expected[~small], expected[small].sum())
    assert (~small).sum() >= levels**3 // 2  # most cells are tested on their own
    p_value = chisquare(observed, expected).pvalue
    assert p_value > 1e-3, f"samples do not follow p(r, g, b): chi-square p = {p_value:.2e}"


def assert_informative(joint: torch.Tensor) -> None:
    """The check has power: p is far from uniform and G depends on R, B on (R, G)."""
    levels = joint.shape[0]
    assert joint.max() > 3 / levels**3
    p_g_given_r = joint.sum(2) / joint.sum((1, 2))[:, None]
    p_b_given_rg = joint / joint.sum(2, keepdim=True)
    assert (p_g_given_r.max(0).values - p_g_given_r.min(0).values).max() > 0.1
    assert (p_b_given_rg.amax((0, 1)) - p_b_given_rg.amin((0, 1))).max() > 0.1


@pytest.mark.parametrize("levels", [3, 4])
def test_one_pixel_images_joint_of_rgb(levels: int) -> None:
    """1x1 RGB images: exp(-nll) of all K^3 images is the model's joint, sums to one and is what sampling draws."""
    torch.manual_seed(0)
    model = random_model(PixelCNN([3, 1, 1], levels, backbone=TINY_BACKBONE), seed=4)
    pixels = all_pixels(levels)
    with torch.no_grad():
        joint = torch.exp(-model.nll(pixels.view(-1, 3, 1, 1)).double()).view(levels, levels, levels)
    assert float(joint.sum()) == pytest.approx(1.0, abs=1e-5)
    torch.testing.assert_close(joint, joint_from_logits(model, None), rtol=1e-4, atol=1e-7)
    assert_informative(joint)
    samples = model.sample(NUM_SAMPLES, seed=1)
    assert_samples_follow(joint, samples[:, :, 0, 0])


def test_first_pixel_of_class_conditional_images_joint_of_rgb() -> None:
    """2x2 RGB images given a class: pixel (0, 0) of the samples follows p(r) p(g | r) p(b | r, g) of that class."""
    torch.manual_seed(0)
    model = ClassConditionalPixelCNN([3, 2, 2], 3, num_classes=2, backbone=TINY_BACKBONE)
    model = random_model(model, seed=4)
    cond = torch.ones(NUM_SAMPLES, dtype=torch.long)
    joint = joint_from_logits(model, cond)
    assert float(joint.sum()) == pytest.approx(1.0, abs=1e-5)
    assert_informative(joint)
    assert not torch.allclose(joint, joint_from_logits(model, torch.zeros(1, dtype=torch.long)), atol=1e-2)
    samples = model.sample(NUM_SAMPLES, cond=cond, seed=2)
    assert_samples_follow(joint, samples[:, :, 0, 0])
