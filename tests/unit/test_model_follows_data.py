"""`python train.py model=<kind> data=<set>` composes the network, schedule and hardware that data set calls for."""

from __future__ import annotations

from unittest import mock

import pytest
import torch
from omegaconf import OmegaConf

from pixelcnn.tasks import hardware
from pixelcnn.tasks.hardware import machine_options, uses_gpu
from pixelcnn.tasks.runtime import config_summary
from tests.helpers.config import CONF

KINDS = ["gated", "gated_cond", "gated_embed", "gated_spatial", "autoencoder"]
PAPER, MNIST, QUICK = (20, 384, 5), (11, 128, 3), (8, 32, 3)  # (layers, hidden features, filter size)
BACKBONE_OF = {
    "cifar10": PAPER,
    "imagenet32": PAPER,
    "imagenet64": PAPER,
    "mnist": MNIST,
    "mnist_binary": MNIST,
    "celeba": QUICK,  # what experiment=portraits trains
    "digits": QUICK,
    "patches": QUICK,
    "folder": QUICK,
}
BATCH_OF = {"cifar10": 64, "imagenet32": 128, "imagenet64": 128, "mnist": 128, "mnist_binary": 128}


def backbone_size(cfg) -> tuple[int, int, int]:
    backbone = cfg.model.backbone
    return backbone.num_layers, backbone.hidden_channels, backbone.kernel_size


def gpu(visible: bool, bf16: bool = True):
    """Pretend this machine has (or has not) a CUDA GPU, with or without bf16."""
    return mock.patch.multiple(
        torch.cuda, is_available=mock.Mock(return_value=visible), is_bf16_supported=mock.Mock(return_value=bf16)
    )


@pytest.mark.parametrize("data", sorted(BACKBONE_OF))
@pytest.mark.parametrize("kind", KINDS)
def test_the_model_follows_the_data_and_the_trainer_the_machine(make_config, kind: str, data: str) -> None:
    cfg = make_config(f"model={kind}", f"data={data}")
    assert backbone_size(cfg) == BACKBONE_OF[data]
    if data in BATCH_OF:
        assert cfg.data.batch_size == BATCH_OF[data]
    if BACKBONE_OF[data] == PAPER:  # the paper experiments' optimizer and clipping
        assert cfg.model.optimizer.lr == 0.0003 and cfg.trainer.gradient_clip_val == 1.0
    assert cfg.trainer.accelerator == "auto" and cfg.trainer.devices == 1
    with gpu(visible=True):
        options = machine_options(cfg.trainer)
        assert uses_gpu(options["accelerator"]) and options["precision"] == "bf16-mixed"
    for cpu_bf16 in (False, True):  # only the quick recipe trains in bf16 on a CPU that computes it
        with gpu(visible=False), mock.patch.object(hardware, "cpu_computes_bf16", return_value=cpu_bf16):
            options = machine_options(cfg.trainer)
        expected = "bf16-mixed" if cpu_bf16 and data == "patches" else "32-true"
        assert not uses_gpu(options["accelerator"]) and options["precision"] == expected
    assert "threads" not in options  # torch's, not a Trainer argument


def test_a_gpu_without_bf16_trains_in_32_bit_and_the_cpu_trainer_stays_on_the_cpu(make_config) -> None:
    with gpu(visible=True, bf16=False):
        assert machine_options(make_config("data=imagenet32").trainer)["precision"] == "32-true"
    with gpu(visible=True):
        options = machine_options(make_config("data=imagenet32", "trainer=cpu").trainer)
        assert not uses_gpu(options["accelerator"]) and options["precision"] == "32-true"


def test_the_command_lines_precision_wins(make_config) -> None:
    with gpu(visible=True):
        assert machine_options(make_config("trainer.precision=16-mixed").trainer)["precision"] == "16-mixed"
    with gpu(visible=False):
        assert machine_options(make_config("trainer.precision=bf16-mixed").trainer)["precision"] == "bf16-mixed"


def test_threads_set_torchs_cpu_threads(make_config) -> None:
    before = torch.get_num_threads()
    try:
        machine_options(make_config("trainer.threads=1").trainer)
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


@pytest.mark.parametrize(
    ("experiment", "data"),
    [("cifar10", "cifar10"), ("imagenet32", "imagenet32"), ("imagenet64", "imagenet64"), ("portraits", "embeddings")],
)
@pytest.mark.parametrize("kind", ["gated", "gated_cond"])
def test_an_experiment_is_its_data_sets_headline_command(make_config, experiment: str, data: str, kind: str) -> None:
    by_experiment = make_config(f"experiment={experiment}", f"model={kind}")
    by_data = make_config(f"model={kind}", f"data={data}")
    assert OmegaConf.to_container(by_experiment.model, resolve=True) == OmegaConf.to_container(
        by_data.model, resolve=True
    )
    for key in ("max_epochs", "gradient_clip_val", "precision", "accelerator", "devices"):
        assert by_experiment.trainer[key] == by_data.trainer[key], key
    assert by_experiment.data.batch_size == by_data.data.batch_size


@pytest.mark.parametrize("start", [["data=imagenet64"], ["experiment=imagenet64"], ["data=mnist"]])
def test_an_explicit_backbone_always_wins(make_config, start: list[str]) -> None:
    assert backbone_size(make_config(*start, "model=gated_cond", "model/backbone=small")) == (3, 16, 3)
    assert backbone_size(make_config(*start, "model/backbone=default")) == QUICK
    cfg = make_config(*start, "model.backbone.num_layers=4", "model.backbone.kernel_size=3")
    assert cfg.model.backbone.num_layers == 4 and cfg.model.backbone.kernel_size == 3
    assert cfg.model.backbone.hidden_channels == (384 if start[0] != "data=mnist" else 128)


def test_models_without_a_backbone_keep_their_own_recipe(make_config) -> None:
    cfg = make_config("model=mse_autoencoder", "data=imagenet32")
    assert "backbone" not in cfg.model and cfg.model.optimizer.lr == 0.001
    assert "scheduler" not in make_config("model=triplet_embedder", "data=celeba").model


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        (["data=imagenet64"], "backbone=paper (data=imagenet64)"),
        (["experiment=imagenet32"], "backbone=paper (data=imagenet32)"),
        (["data=imagenet64", "model/backbone=small"], "backbone=small (command line)"),
        (["experiment=patches_unconditional"], "backbone=medium (experiment=patches_unconditional)"),
        ([], "backbone=default (data=digits)"),
    ],
)
def test_the_start_summary_says_which_backbone_and_why(make_config, overrides: list[str], reason: str) -> None:
    make_config(*overrides)  # sets Hydra's runtime choices, as train.py does
    first_line = config_summary().splitlines()[0]
    assert first_line.endswith("; " + reason)


# data=patches: the quick recipe's parts (conf/recipe/patches.yaml); the paper's data sets: the paper's
QUICK_RECIPE = {
    "head": "pixelcnn.nn.heads.LogisticMixtureHead",
    "scheduler": "pixelcnn.models.schedules.WarmupExponentialLR",
}
PAPER_PARTS = {"head": "pixelcnn.nn.heads.SoftmaxHead", "scheduler": "torch.optim.lr_scheduler.ExponentialLR"}


def leaves(tree: dict, prefix: str = "") -> dict[str, object]:
    """{"model.optimizer.lr": 0.003, ...}: every leaf of a nested dict under its dotted key."""
    out: dict[str, object] = {}
    for key, value in tree.items():
        out.update(leaves(value, f"{prefix}{key}.") if isinstance(value, dict) else {f"{prefix}{key}": value})
    return out


@pytest.mark.parametrize("kind", KINDS)
def test_patches_train_with_the_quick_recipe_and_the_paper_data_sets_without_it(make_config, kind: str) -> None:
    recipe = leaves(OmegaConf.to_container(OmegaConf.load(CONF / "recipe" / "patches.yaml")))
    assert recipe, "conf/recipe/patches.yaml sets nothing"
    cfg = make_config(f"model={kind}", "data=patches")
    assert {part: cfg.model[part]._target_ for part in QUICK_RECIPE} == QUICK_RECIPE
    assert cfg.data.batch_size == 16
    for key, value in recipe.items():
        assert OmegaConf.select(cfg, key) == value, key
    for data in ("cifar10", "imagenet32", "imagenet64", "mnist", "celeba"):
        paper = make_config(f"model={kind}", f"data={data}")
        assert {part: paper.model[part]._target_ for part in PAPER_PARTS} == PAPER_PARTS, data
        assert paper.model.optimizer.lr != cfg.model.optimizer.lr, data


def test_the_command_line_and_the_patch_experiments_override_the_quick_recipe(make_config) -> None:
    cfg = make_config("data=patches", "model/head=softmax", "model/scheduler=exponential")
    assert {part: cfg.model[part]._target_ for part in PAPER_PARTS} == PAPER_PARTS
    for experiment in ("patches_unconditional", "autoencoder_patches"):  # the paper's section 3.4 comparison
        cfg = make_config(f"experiment={experiment}")
        assert {part: cfg.model[part]._target_ for part in PAPER_PARTS} == PAPER_PARTS, experiment
        assert (cfg.model.optimizer.lr, cfg.model.scheduler.gamma, cfg.data.batch_size) == (0.002, 0.99, 32)
        assert (cfg.trainer.precision, cfg.model.compile) == ("auto", False), experiment
