"""Every config group option composes, and the paper experiments build the paper's architectures."""

from __future__ import annotations

from pathlib import Path

import hydra
import pytest

from pixelcnn.models import PixelCNN

CONF = Path(__file__).resolve().parents[1] / "conf"


def options(group: str) -> list[str]:
    return sorted(p.stem for p in (CONF / group).glob("*.yaml"))


@pytest.mark.parametrize("group", ["data", "model", "trainer", "logger", "callbacks", "debug", "experiment"])
def test_every_option_of_a_group_composes(make_config, group: str) -> None:
    for option in options(group):
        cfg = make_config(f"{group}={option}")
        assert cfg.data.image_shape and cfg.model._target_


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
