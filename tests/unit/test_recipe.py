"""The quality-per-minute recipe's parts: the per-step warm-up schedule and the mixture head's starting biases."""

from __future__ import annotations

import functools

import pytest
import torch

from pixelcnn.api import load_model
from pixelcnn.errors import CheckpointError
from pixelcnn.models import PixelCNN
from pixelcnn.models.schedules import WarmupExponentialLR
from pixelcnn.nn import LogisticMixtureHead
from pixelcnn.nn.masks import channel_groups
from tests.helpers import TINY_BACKBONE

WARMUP = {"_target_": "pixelcnn.models.schedules.WarmupExponentialLR", "_partial_": True, "warmup_steps": 3,
          "gamma": 0.5}  # fmt: skip


def rates(scheduler: WarmupExponentialLR, optimizer: torch.optim.Optimizer, steps: int) -> list[float]:
    seen = []
    for _ in range(steps):
        seen.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return seen


def test_warmup_is_linear_from_the_first_step_then_decays_per_step() -> None:
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.2)
    seen = rates(WarmupExponentialLR(optimizer, warmup_steps=3, gamma=0.5), optimizer, 6)
    assert seen == pytest.approx([0.4, 0.8, 1.2, 1.2, 0.6, 0.3])
    held = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    assert rates(WarmupExponentialLR(held), held, 3) == [1.0, 1.0, 1.0]  # no warm-up, gamma 1: constant
    with pytest.raises(ValueError, match="warmup_steps"):
        WarmupExponentialLR(held, warmup_steps=-1)


def test_warmup_is_torchs_sequential_schedule_and_an_old_state_says_it_cannot_resume() -> None:
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    schedule = WarmupExponentialLR(optimizer, warmup_steps=3, gamma=0.5)
    assert isinstance(schedule, torch.optim.lr_scheduler.SequentialLR)
    old_state = {"warmup_steps": 3, "gamma": 0.5, "base_lrs": [1.0], "last_epoch": 4}  # the hand-written schedule's
    with pytest.raises(CheckpointError, match="older pixelcnn and cannot be resumed"):
        schedule.load_state_dict(old_state)


def test_the_model_steps_a_per_step_schedule_every_step_and_torch_ones_every_epoch() -> None:
    model = PixelCNN((1, 4, 4), 4, backbone=TINY_BACKBONE, scheduler=WARMUP)
    assert model.configure_optimizers()["lr_scheduler"]["interval"] == "step"
    exponential = {"_target_": "torch.optim.lr_scheduler.ExponentialLR", "_partial_": True, "gamma": 0.9}
    assert PixelCNN((1, 4, 4), 4, backbone=TINY_BACKBONE, scheduler=exponential).configure_optimizers()[
        "lr_scheduler"]["interval"] == "epoch"  # fmt: skip


def test_a_checkpoint_naming_the_warmup_schedule_loads(tmp_path) -> None:
    """The allow-list admits this package's LR schedulers (a checkpoint stores the scheduler's target)."""
    model = PixelCNN((1, 4, 4), 4, backbone=TINY_BACKBONE, scheduler=WARMUP)
    path = tmp_path / "model.ckpt"
    checkpoint = {"state_dict": model.state_dict(), "hyper_parameters": dict(model.hparams)}
    model.on_save_checkpoint(checkpoint)
    torch.save(checkpoint, path)
    loaded = load_model(path)
    assert loaded.hparams["scheduler"]["_target_"] == WARMUP["_target_"]
    assert loaded.configure_optimizers()["lr_scheduler"]["interval"] == "step"


def test_mixture_head_starts_from_the_given_log_scales_and_spread_means() -> None:
    head = LogisticMixtureHead(6, channel_groups(6, 3), 3, 256, num_mixtures=4, init_log_scale=-3.0,
                               init_mean_spread=0.75)  # fmt: skip
    features = torch.zeros(1, 6, 1, 1)  # zero features: the outputs are the conv's biases
    params = head.blocks(head(features))[0, 0, 0]  # (C, P)
    pixel = torch.zeros(3, dtype=torch.long)
    for c in range(3):
        _, mean, log_scale = head.mixture(params[c], pixel, c)
        assert torch.equal(log_scale, torch.full((4,), -3.0))
        # channel 0 has no earlier channels; later ones add tanh(coeff) * x_c' (x = level 0 -> -1)
        expected = torch.linspace(-0.75, 0.75, 4) - (torch.tanh(params[c, 12 : 12 + 4 * c]).view(c, 4).sum(0))
        torch.testing.assert_close(mean, expected)
    plain = LogisticMixtureHead(6, channel_groups(6, 3), 3, 256, num_mixtures=4)
    assert not torch.equal(plain.blocks(plain(features))[0, 0, 0, :, 8:12], torch.full((3, 4), -3.0))


def test_head_init_is_a_config_option_and_is_stored() -> None:
    head = functools.partial(LogisticMixtureHead, num_mixtures=2, init_log_scale=-2.5, init_mean_spread=0.5)
    model = PixelCNN((3, 4, 4), 16, backbone=TINY_BACKBONE, head=head)
    assert model.hparams["head"]["init_log_scale"] == -2.5 and model.hparams["head"]["init_mean_spread"] == 0.5
    bias = model.backbone.head_out.conv.bias.view(3, 10)  # P = M * (C + 2)
    assert torch.equal(bias[:, 4:6], torch.full((3, 2), -2.5))
    assert torch.equal(bias[:, 2:4], torch.tensor([-0.5, 0.5]).expand(3, 2))
