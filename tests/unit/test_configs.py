"""Every config group option composes, and the paper experiments build the paper's architectures."""

from __future__ import annotations

import hydra
import pytest

from pixelcnn.models import PixelCNN
from tests.helpers import CONF

# (group, the model preset whose defaults list holds it): a model/<group> option overrides that preset's choice
MODEL_GROUPS = [
    ("model/backbone", "gated"),
    ("model/head", "gated"),
    ("model/conditioner", "gated_cond"),
    ("model/encoder", "autoencoder"),
    ("model/optimizer", "gated"),
    ("model/scheduler", "gated"),
]


def options(group: str) -> list[str]:
    found = sorted(p.stem for p in (CONF / group).glob("*.yaml"))
    assert found, f"no options in conf/{group}"  # a wrong CONF path must not make the tests below pass vacuously
    return found


def test_option_lists_of_the_redesigned_groups() -> None:
    assert {"autoencoder_patches", "autoencoder_imagenet32", "mse_autoencoder_patches"} <= set(options("experiment"))
    assert not [name for name in options("experiment") if name.endswith(("_m10", "_m100"))]  # m is model.latent_dim
    assert {"default", "small", "medium", "paper"} <= set(options("model/backbone"))
    assert set(options("model/conditioner")) == {"class", "vector", "spatial"}
    assert set(options("model/encoder")) == {"conv", "timm"}
    assert set(options("model/head")) == {"softmax", "logistic_mixture"}
    assert "ema" in options("callbacks")


@pytest.mark.parametrize(
    "group", ["data", "model", "trainer", "logger", "callbacks", "debug", "experiment", "figures", "sampling"]
)
def test_every_option_of_a_group_composes(make_config, group: str) -> None:
    for option in options(group):
        cfg = make_config(f"{group}={option}")
        assert cfg.data.image_shape and cfg.model._target_


@pytest.mark.parametrize(("group", "model"), MODEL_GROUPS)
def test_every_option_of_a_model_part_group_composes(make_config, group: str, model: str) -> None:
    part = group.split("/")[1]
    for option in options(group):
        cfg = make_config(f"model={model}", f"{group}={option}")
        assert cfg.model[part]._target_ and cfg.model[part]._partial_


@pytest.mark.parametrize("group", ["figures", "sampling"])
def test_every_eval_option_composes(make_config, group: str) -> None:
    for option in options(group):
        cfg = make_config(f"{group}={option}", "ckpt_path=x.ckpt", name="eval")
        assert group in cfg


def test_every_backbone_option_instantiates(make_config) -> None:
    for option in options("model/backbone"):
        cfg = make_config("model=gated", f"model/backbone={option}")
        model = hydra.utils.instantiate(cfg.model, _convert_="all")
        assert model.backbone.num_layers == cfg.model.backbone.num_layers
        assert model.backbone.hidden_channels == cfg.model.backbone.hidden_channels


@pytest.mark.parametrize("model", ["gated", "gated_cond", "gated_embed", "gated_spatial", "autoencoder"])
def test_every_pixelcnn_kind_takes_either_head(make_config, model: str) -> None:
    from pixelcnn.nn import LogisticMixtureHead, SoftmaxHead

    small = [f"model={model}", "model/backbone=small"]
    if model in ("gated_embed", "gated_spatial"):
        small.append("model.conditioner.cond_dim=8")
    default = hydra.utils.instantiate(make_config(*small).model, _convert_="all")
    assert type(default.backbone.head_out) is SoftmaxHead
    cfg = make_config(*small, "model/head=logistic_mixture", "model.head.num_mixtures=4")
    mixture = hydra.utils.instantiate(cfg.model, _convert_="all")
    assert type(mixture.backbone.head_out) is LogisticMixtureHead and mixture.backbone.head_out.num_mixtures == 4
    assert mixture.hparams["head"]["num_mixtures"] == 4
    assert make_config(f"model={model}", "model/head=logistic_mixture").model.head.num_mixtures == 10


def test_data_and_model_configs_instantiate(make_config) -> None:
    for data in ("digits", "patches", "mnist", "mnist_binary", "cifar10", "imagenet32", "imagenet64"):
        cfg = make_config(f"data={data}", "model=gated_cond" if data != "patches" else "model=gated")
        datamodule = hydra.utils.instantiate(cfg.data)
        assert list(datamodule.image_shape) == list(cfg.data.image_shape)
        model = hydra.utils.instantiate(cfg.model, _convert_="all")
        assert model.image_shape == tuple(cfg.data.image_shape)
        assert model.num_levels == cfg.data.num_levels


@pytest.mark.parametrize(("experiment", "size"), [("cifar10", 32), ("imagenet32", 32), ("imagenet64", 64)])
def test_paper_experiments_use_the_paper_architecture(make_config, experiment: str, size: int) -> None:
    cfg = make_config(f"experiment={experiment}")
    assert list(cfg.data.image_shape) == [3, size, size]
    model = hydra.utils.instantiate(cfg.model, _convert_="all")
    assert isinstance(model, PixelCNN)
    assert model.backbone.num_layers == 20 and model.backbone.hidden_channels == 384
    assert model.backbone.blocks[1].v_conv.conv.kernel_size == (3, 5)  # 5x5 as (ceil(5/2) x 5) + shift
    assert model.num_levels == 256


def test_binarized_mnist_uses_a_two_way_softmax(make_config) -> None:
    cfg = make_config("data=mnist_binary")
    model = hydra.utils.instantiate(cfg.model, _convert_="all")
    assert model.num_levels == 2 and model.backbone.head_out.conv.out_channels == 2
