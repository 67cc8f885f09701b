"""Config to object once: a checkpoint's model config is walked once through the allow-list (``${`` and every
``_target_`` in one pass) and built in one Hydra call; the conditioner's sizes are typed constructor arguments;
checkpoints in the format written before (conditioner sizes folded into ``conditioner``, weights named
``backbone.*``) load with the same logits and pass the resume check."""

from __future__ import annotations

import copy
import inspect
import re
from pathlib import Path
from typing import Any

import pytest
import torch

import pixelcnn
import pixelcnn.checkpoints.reader as reader
import pixelcnn.checkpoints.registry as registry
from pixelcnn.checkpoints.reader import module_from_checkpoint
from pixelcnn.checkpoints.registry import qualified_name
from pixelcnn.errors import CheckpointError
from pixelcnn.models import (
    ClassConditionalPixelCNN,
    EmbeddingConditionalPixelCNN,
    PixelCNN,
    PixelCNNAutoEncoder,
    PixelCNNModule,
)
from pixelcnn.nn.network import AutoEncoderNetwork, PixelCNNNetwork
from pixelcnn.tasks.resume import check_resumable
from tests.helpers import TINY_BACKBONE

SHAPE, LEVELS = (1, 8, 8), 17
PARTIAL = {"_partial_": True}
# the hyper-parameters the code before this change stored (printed from it): sizes folded into ``conditioner``
OLD_BACKBONE = {"_target_": "pixelcnn.nn.backbone.GatedPixelCNN", **PARTIAL, **TINY_BACKBONE}
OLD_COMMON = {
    "image_shape": list(SHAPE),
    "num_levels": LEVELS,
    "optimizer": {"_target_": "torch.optim.adam.Adam", **PARTIAL},
    "scheduler": None,
    "backbone": OLD_BACKBONE,
    "head": {"_target_": "pixelcnn.nn.heads.SoftmaxHead", **PARTIAL},
    "compile": False,
    "compile_options": {},
    "channels_last": "auto",
}
OLD_CLASS = {
    **OLD_COMMON,
    "conditioner": {"_target_": "pixelcnn.conditioning.class_bias.ClassConditioner", **PARTIAL, "num_classes": 3},
}
OLD_AUTOENCODER = {
    **OLD_COMMON,
    "conditioner": {
        "_target_": "pixelcnn.conditioning.vector.VectorConditioner",
        **PARTIAL,
        "cond_dim": 4,
        "zero_init": True,
    },
    "latent_dim": 4,
    "encoder": {"_target_": "pixelcnn.autoencoder.encoders.ConvEncoder", **PARTIAL, "channels": [8]},
}


def class_model() -> PixelCNNModule:
    torch.manual_seed(0)
    return ClassConditionalPixelCNN(SHAPE, LEVELS, num_classes=3, backbone=TINY_BACKBONE)


def autoencoder() -> PixelCNNModule:
    torch.manual_seed(0)
    return PixelCNNAutoEncoder(SHAPE, LEVELS, 4, encoder={"channels": [8]}, backbone=TINY_BACKBONE)


def saved(model: PixelCNNModule, folder: Path, hparams: dict[str, Any] | None = None, old_keys: bool = False) -> Path:
    """A checkpoint of ``model`` with perturbed weights (V no longer zero), its own or the given hyper-parameters,
    and, ``old_keys``, weights named as before the network moved under ``net``."""
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.add_(0.05 * torch.randn_like(parameter))
    state = model.state_dict()
    if old_keys:
        state = {key.removeprefix("net."): value for key, value in state.items()}
    checkpoint = {
        "state_dict": state,
        "model_target": qualified_name(type(model)),
        "hyper_parameters": copy.deepcopy(hparams if hparams is not None else dict(model.hparams)),
        "optimizer_states": [],
    }
    path = folder / "model.ckpt"
    torch.save(checkpoint, path)
    return path


def cond_of(model: PixelCNNModule) -> torch.Tensor:
    return torch.randint(0, LEVELS, (2, *SHAPE)) if isinstance(model, PixelCNNAutoEncoder) else torch.tensor([0, 2])


def same_logits(model: PixelCNNModule, path: Path) -> None:
    loaded = pixelcnn.load_model(path)
    assert type(loaded) is type(model)
    x, cond = torch.randint(0, LEVELS, (2, *SHAPE)), cond_of(model)
    with torch.no_grad():
        assert torch.equal(loaded(x, cond), model.eval()(x, cond))


def counting(monkeypatch: pytest.MonkeyPatch, name: str, *modules: Any) -> list[str]:
    """Record each call of ``name`` (patched where it is looked up) by the key it was given."""
    calls: list[str] = []
    original = getattr(registry, name)

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(args[1] if name == "allowed_class" else kwargs.get("key", args[2] if len(args) > 2 else ""))
        return original(*args, **kwargs)

    for module in modules:
        monkeypatch.setattr(module, name, counted)
    return calls


def test_load_model_walks_the_stored_config_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = PixelCNNAutoEncoder(
        SHAPE,
        LEVELS,
        4,
        encoder={"channels": [8]},
        backbone=TINY_BACKBONE,
        scheduler={"_target_": "torch.optim.lr_scheduler.ExponentialLR", "gamma": 0.9},
    )
    path = saved(model, tmp_path)
    walks = counting(monkeypatch, "check_stored_config", registry, reader)
    targets = counting(monkeypatch, "allowed_class", registry, reader)
    same_logits(model, path)
    assert walks == ["hyper_parameters"]
    parts = ["backbone", "conditioner", "encoder", "head", "optimizer", "scheduler"]
    assert sorted(targets) == sorted(["model_target", *(f"hyper_parameters.{part}._target_" for part in parts)])


@pytest.mark.parametrize(
    ("value", "refusal"),
    [
        ({"_target_": "torch.optim.Adam", "lr": "${oc.env:HOME}"}, "hyper_parameters.optimizer.lr = '${oc.env"),
        ({"_target_": "torch.optim.Adam", "${oc.env:HOME}": 1}, "optimizer.${oc.env:HOME} (a key)"),
        ({"_target_": "os.system"}, "hyper_parameters.optimizer._target_ = 'os.system'"),
        ({"_target_": ["torch.optim.Adam"]}, "hyper_parameters.optimizer._target_ = ['torch.optim.Adam']"),
    ],
)
def test_the_rebuild_walk_refuses_a_dict_that_was_not_read_from_a_file(value: Any, refusal: str) -> None:
    """``module_from_checkpoint`` given a dict directly (not through ``read_checkpoint``) still refuses by key."""
    checkpoint = {"state_dict": {}, "model_target": qualified_name(PixelCNN), "hyper_parameters": {"optimizer": value}}
    with pytest.raises(CheckpointError, match=re.escape(refusal)) as refused:
        module_from_checkpoint(checkpoint, "given")
    assert "\n" not in str(refused.value)


@pytest.mark.parametrize(
    "edit",
    [
        lambda h: h["backbone"].pop("_partial_"),  # Hydra builds the part itself, without its sizes
        lambda h: h.update(compile_options={"backend": {"_target_": "torch.optim.Adam"}}),  # allowed, does not fit
        lambda h: h.update(no_such_option=1),
    ],
    ids=["not-partial", "unfit-target", "unknown-key"],
)
def test_a_stored_config_that_does_not_fit_is_one_line(edit) -> None:
    model = PixelCNN(SHAPE, LEVELS, backbone=TINY_BACKBONE)
    checkpoint = {"state_dict": {}, "model_target": qualified_name(PixelCNN), "hyper_parameters": dict(model.hparams)}
    edit(checkpoint["hyper_parameters"])
    with pytest.raises(CheckpointError, match="hyper-parameters do not fit") as refused:
        module_from_checkpoint(checkpoint, "given")
    assert "\n" not in str(refused.value)


@pytest.mark.parametrize("old_keys", [False, True], ids=["net-keys", "backbone-keys"])
@pytest.mark.parametrize("kind", ["class", "autoencoder"])
def test_a_checkpoint_in_the_earlier_format_loads_and_resumes(tmp_path: Path, kind: str, old_keys: bool) -> None:
    model, hparams = (class_model(), OLD_CLASS) if kind == "class" else (autoencoder(), OLD_AUTOENCODER)
    path = saved(model, tmp_path, hparams, old_keys)
    same_logits(model, path)
    fresh = class_model() if kind == "class" else autoencoder()
    assert check_resumable(path, fresh)["hyper_parameters"] == hparams


@pytest.mark.parametrize("make", [class_model, autoencoder])
def test_a_checkpoint_written_today_loads_with_the_same_logits(tmp_path: Path, make) -> None:
    model = make()
    same_logits(model, saved(model, tmp_path))


def test_the_auto_encoder_conditions_on_its_code_size() -> None:
    model = autoencoder()
    assert model.conditioner.cond_dim == model.latent_dim == 4
    net = AutoEncoderNetwork(SHAPE, LEVELS, latent_dim=6)
    assert net.conditioner.cond_dim == 6 and all(torch.all(p == 0) for p in net.conditioner.parameters())


def test_conditioner_sizes_are_typed_arguments() -> None:
    for constructor in (PixelCNNModule.__init__, PixelCNNAutoEncoder.__init__, PixelCNNNetwork.__init__):
        kinds = {parameter.kind for parameter in inspect.signature(constructor).parameters.values()}
        assert inspect.Parameter.VAR_KEYWORD not in kinds, constructor
    assert ClassConditionalPixelCNN(SHAPE, LEVELS, num_classes=3, backbone=TINY_BACKBONE).num_classes == 3
    assert EmbeddingConditionalPixelCNN(SHAPE, LEVELS, cond_dim=5, backbone=TINY_BACKBONE).cond_dim == 5
    with pytest.raises(TypeError, match="unconditional"):
        PixelCNN(SHAPE, LEVELS, num_classes=3)
    with pytest.raises(TypeError, match="map_channels"):
        PixelCNN(SHAPE, LEVELS, map_channels=3)  # type: ignore[call-arg]
