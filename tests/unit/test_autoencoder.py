"""PixelCNN auto-encoder and MSE baseline: causality for a fixed code, gradients into the encoder, cond forms,
encoders, errors and the experiment configs."""

from __future__ import annotations

import pytest
import torch

from pixelcnn.autoencoder import ConvEncoder, TimmEncoder
from pixelcnn.errors import CheckpointError, InputError
from pixelcnn.figures.grid import levels_to_unit
from pixelcnn.models import MSEAutoEncoder, PixelCNN, PixelCNNAutoEncoder
from tests.helpers import TINY_BACKBONE

SMALL_ENCODER = {"channels": [8, 16]}  # keyword arguments of the default encoder, ConvEncoder


def tiny_autoencoder(shape: tuple[int, int, int] = (1, 8, 8), levels: int = 17, m: int = 4) -> PixelCNNAutoEncoder:
    return PixelCNNAutoEncoder(shape, levels, latent_dim=m, encoder=SMALL_ENCODER, backbone=TINY_BACKBONE)


def order(c: int, i: int, j: int, width: int, channels: int) -> int:
    """Position of sub-pixel (c, i, j) in the generation order: raster over pixels, R -> G -> B inside one."""
    return (i * width + j) * channels + c


def leaks(model: PixelCNNAutoEncoder, x: torch.Tensor, cond: torch.Tensor | None, levels: int) -> list[tuple]:
    """(changed sub-pixel, logit position) pairs where a change of x moves a logit at or before the change."""
    _, channels, height, width = x.shape
    base = model(x, cond)
    found = []
    for c in range(channels):
        for i in range(height):
            for j in range(width):
                changed = x.clone()
                changed[0, c, i, j] = (changed[0, c, i, j] + 1) % levels
                moved = (model(changed, cond) - base).abs().amax(dim=1)[0]  # (C, H, W)
                for c2, i2, j2 in moved.nonzero().tolist():
                    if order(c2, i2, j2, width, channels) <= order(c, i, j, width, channels):
                        found.append(((c, i, j), (c2, i2, j2)))
    return found


def test_decoder_is_causal_in_x_for_a_fixed_code() -> None:
    torch.manual_seed(0)
    model = PixelCNNAutoEncoder((3, 4, 4), 4, latent_dim=3, encoder={"channels": [4]}, backbone=TINY_BACKBONE).double()
    for param in model.parameters():  # large random weights (V included) so no influence hides in a tiny number
        torch.nn.init.normal_(param, std=0.5)
    model.eval()
    x = torch.randint(0, 4, (1, 3, 4, 4))
    h = model.encode(torch.randint(0, 4, (1, 3, 4, 4)))
    assert leaks(model, x, h, 4) == []
    # the code does reach the logits, so the test above holds h fixed for a reason: encoding x itself (the
    # training objective) lets the last sub-pixel move the first logits
    assert not torch.equal(model(x, h), model(x, model.encode(x)))
    assert leaks(model, x, None, 4)


def test_untrained_autoencoder_is_the_unconditional_model() -> None:
    torch.manual_seed(3)
    plain = PixelCNN((1, 8, 8), 17, backbone=TINY_BACKBONE)
    torch.manual_seed(3)
    model = tiny_autoencoder()
    x = torch.randint(0, 17, (5, 1, 8, 8))
    assert torch.allclose(model.nll(x), plain.nll(x), rtol=0, atol=1e-4)


def test_gradients_reach_the_encoder() -> None:
    torch.manual_seed(0)
    model = tiny_autoencoder()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    batch = (torch.randint(0, 17, (8, 1, 8, 8)), torch.zeros(8, dtype=torch.long))
    before = [p.detach().clone() for p in model.encoder.parameters()]
    for _ in range(2):  # V starts at zero: the encoder's gradient flows from the second step on
        optimizer.zero_grad()
        model.nll(batch[0], model.batch_condition(batch)).mean().backward()  # the training loss, unscaled
        optimizer.step()
    for name, param in model.encoder.named_parameters():
        assert param.grad is not None and param.grad.abs().sum() > 0, f"no gradient reaches encoder.{name}"
    assert all(not torch.equal(b, a) for b, a in zip(before, model.encoder.parameters(), strict=True))


def test_cond_is_images_to_encode_or_codes() -> None:
    torch.manual_seed(1)
    model = tiny_autoencoder().eval()
    with torch.no_grad():
        torch.nn.init.normal_(model.conditioner.project.weight)
    x = torch.randint(0, 17, (2, 1, 8, 8))
    h = model.encode(x)
    assert h.shape == (2, 4)
    assert torch.allclose(h.mean(1), torch.zeros(2), atol=1e-5)  # layer-normed code
    assert torch.equal(model(x), model(x, cond=x)) and torch.allclose(model(x), model(x, cond=h))
    assert torch.equal(model.sample(2, cond=x, seed=4), model.sample(2, cond=h, seed=4))
    assert not torch.equal(model.sample(2, cond=h, seed=4), model.sample(2, cond=h.flip(0), seed=4))
    with pytest.raises(InputError, match="pass cond"):
        model.sample(2)
    with pytest.raises(InputError, match=r"codes h \(2, 4\)"):
        model(x, cond=torch.randn(2, 5))
    with pytest.raises(InputError, match=r"images \(2, 1, 8, 8\)"):
        model(x, cond=torch.zeros(3, 1, 8, 8, dtype=torch.long))
    with pytest.raises(InputError, match="levels"):
        model.sample(2, cond=torch.full((2, 1, 8, 8), 17))


def test_timm_encoder_gives_a_code_and_learns() -> None:
    torch.manual_seed(0)
    model = PixelCNNAutoEncoder(
        (3, 16, 16),
        256,
        latent_dim=6,
        encoder={"_target_": "pixelcnn.autoencoder.TimmEncoder", "model_name": "resnet10t"},
        backbone=TINY_BACKBONE,
    )
    encoder = model.encoder
    assert isinstance(encoder, TimmEncoder)
    h = encoder(torch.randint(0, 256, (4, 3, 16, 16)))
    assert h.shape == (4, 6)
    h.pow(3).sum().backward()
    assert all(p.grad is not None for p in encoder.parameters() if p.requires_grad)


def test_encoder_config_errors_say_what_to_fix() -> None:
    with pytest.raises(InputError, match="multiples of 16"):
        ConvEncoder((1, 8, 8), 17, 4, channels=[4, 4, 4, 4])
    with pytest.raises(CheckpointError, match=r"encoder\._target_ = 'pixelcnn\.autoencoder\.MLPEncoder'"):
        PixelCNNAutoEncoder(
            (1, 8, 8), 17, 4, encoder={"_target_": "pixelcnn.autoencoder.MLPEncoder"}, backbone=TINY_BACKBONE
        )
    with pytest.raises(InputError, match="latent_dim"):
        PixelCNNAutoEncoder((1, 8, 8), 17, 1, encoder=SMALL_ENCODER, backbone=TINY_BACKBONE)
    with pytest.raises(InputError, match="timm has no model"):
        TimmEncoder((1, 8, 8), 17, 4, model_name="no_such_net")


def test_mse_autoencoder_reconstructs_and_learns() -> None:
    torch.manual_seed(0)
    model = MSEAutoEncoder((3, 8, 8), 256, 4, encoder=SMALL_ENCODER, decoder={"channels": [16, 8]})
    x = torch.randint(0, 256, (16, 3, 1, 1)).expand(16, 3, 8, 8)  # one random colour per image: 3 numbers to code
    recon = model.reconstruct(x)
    assert recon.shape == x.shape and recon.dtype == torch.long and 0 <= recon.min() and recon.max() <= 255
    target = levels_to_unit(x, 256)  # the [0, 1] scale the MSE is computed in
    code_free = float((target - target.mean(0)).pow(2).mean())  # the best MSE of a decoder that ignores h
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(120):
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), target)
        loss.backward()
        optimizer.step()
    assert float(loss) < 0.5 * code_free
    with pytest.raises(InputError, match=r"\(B, 3, 8, 8\)"):
        model(torch.zeros(2, 1, 8, 8, dtype=torch.long))


@pytest.mark.parametrize(
    ("experiment", "target", "data"),
    [
        ("autoencoder_patches", "PixelCNNAutoEncoder", "PatchesDataModule"),
        ("autoencoder_imagenet32", "PixelCNNAutoEncoder", "ImageNetDataModule"),
        ("mse_autoencoder_patches", "MSEAutoEncoder", "PatchesDataModule"),
        ("mse_autoencoder_imagenet32", "MSEAutoEncoder", "ImageNetDataModule"),
    ],
)
@pytest.mark.parametrize("m", [10, 100])
def test_experiment_configs(make_config, experiment: str, target: str, data: str, m: int) -> None:
    """The paper's two bottleneck sizes: m = 10 is the experiments' default, m = 100 one override away."""
    overrides = [f"experiment={experiment}"] + ([] if m == 10 else [f"model.latent_dim={m}"])
    cfg = make_config(*overrides)
    assert cfg.model._target_ == f"pixelcnn.models.{target}" and cfg.data._target_.endswith(data)
    assert cfg.model.latent_dim == m and cfg.model.encoder._target_ == "pixelcnn.autoencoder.ConvEncoder"
    assert cfg.task_name == experiment
    metric = "val/mse" if target == "MSEAutoEncoder" else "val/bpd"
    assert cfg.callbacks.model_checkpoint.monitor == metric and cfg.optimized_metric == metric


def test_encoder_is_chosen_in_config(make_config) -> None:
    cfg = make_config("model=autoencoder", "model/encoder=timm", "model.latent_dim=4")
    assert dict(cfg.model.encoder) == {
        "_target_": "pixelcnn.autoencoder.TimmEncoder",
        "_partial_": True,
        "model_name": "resnet18",
        "pretrained": False,
    }
    cfg = make_config("model=mse_autoencoder", "model/encoder=timm", "model.encoder.model_name=resnet10t")
    from hydra.utils import instantiate

    model = instantiate(cfg.model, _convert_="all")
    assert isinstance(model.encoder, TimmEncoder) and model.image_shape == (1, 8, 8)
