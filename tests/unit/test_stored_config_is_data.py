"""A stored config is data: every ``${...}`` (interpolation, resolver, escaped, nested, in a key) planted in a
checkpoint is refused with one line naming its key before anything is resolved, through ``load_model``, the
notebooks' ``load_datamodule``, ``eval.py`` and a resume; the file system is unchanged afterwards and no environment
value is printed. A ``_target_`` must resolve to an allowed class itself; rebuilding fetches nothing."""

from __future__ import annotations

import copy
import os
import pickle
import re
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import hydra
import pytest
import torch
from omegaconf import OmegaConf
from torch import nn

import pixelcnn
import pixelcnn.nn.backbone
from pixelcnn.checkpoints.reader import read_checkpoint
from pixelcnn.checkpoints.registry import qualified_name
from pixelcnn.checkpoints.stored import check_no_interpolation
from pixelcnn.errors import CheckpointError
from pixelcnn.models import PixelCNN, PixelCNNAutoEncoder
from pixelcnn.tasks.errors import user_errors
from pixelcnn.tasks.evaluate import evaluate
from pixelcnn.tasks.resolvers import register_resolvers
from pixelcnn.tasks.runtime import resolved
from pixelcnn.tasks.train import train
from tests.helpers import FAST_TRAIN, TINY_BACKBONE

SECRET = "hunter2-do-not-print"
DIGITS = {"_target_": "pixelcnn.data.DigitsDataModule", "image_shape": [1, 8, 8], "num_levels": 17, "seed": 0}


def payloads(folder: Path) -> dict[str, str]:
    """Each stored value that would act when resolved: copy a file, create a folder, read the environment."""
    source = folder / "source.txt"
    source.write_text("data")
    return {
        "oc.create": f"${{oc.create:{{_target_: shutil.copyfile, src: {source}, dst: {folder / 'copied.txt'}}}}}",
        "unique_dir": f"${{unique_dir:{folder / 'made_by_checkpoint'}}}",
        "oc.env": "${oc.env:PIXELCNN_TEST_SECRET}",
        "nested": "before ${oc.decode:${oc.env:PIXELCNN_TEST_SECRET}} after",
        "escaped": "\\${oc.env:PIXELCNN_TEST_SECRET}",
    }


def untouched(folder: Path) -> None:
    assert not (folder / "copied.txt").exists()
    assert not list(folder.glob("made_by_checkpoint*"))


@pytest.fixture(autouse=True)
def _secret_and_resolvers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIXELCNN_TEST_SECRET", SECRET)
    register_resolvers()  # unique_dir live, as in every entry point


def checkpoint_of(model: torch.nn.Module) -> dict[str, Any]:
    return {
        "state_dict": model.state_dict(),
        "model_target": qualified_name(type(model)),
        "hyper_parameters": copy.deepcopy(dict(model.hparams)),
        "pixelcnn_config": {"data": dict(DIGITS)},
        "optimizer_states": [],
    }


@pytest.fixture(scope="module")
def good() -> dict[str, Any]:
    torch.manual_seed(0)
    return checkpoint_of(PixelCNN((1, 8, 8), 17, backbone=TINY_BACKBONE))


def planted(good: dict[str, Any], folder: Path, where: str, value: Any, as_key: bool = False) -> Path:
    """``good`` with ``value`` at the dotted key ``where`` (or, ``as_key``, a key of that mapping), saved."""
    checkpoint = copy.deepcopy(good)
    *parents, leaf = where.split(".")
    node = checkpoint
    for parent in parents:
        node = node[parent]
    if as_key:
        node[leaf] = {value: 1}
    else:
        node[leaf] = value
    path = folder / "planted.ckpt"
    torch.save(checkpoint, path)
    return path


PLACES = ["hyper_parameters.optimizer.lr", "pixelcnn_config.data.batch_size", "pixelcnn_config.logger"]


@pytest.mark.parametrize("place", PLACES)
@pytest.mark.parametrize("kind", ["oc.create", "unique_dir", "oc.env", "nested", "escaped"])
@pytest.mark.parametrize("loader", ["load_model", "load_datamodule"])
def test_every_interpolation_is_refused_by_key_before_it_resolves(
    good: dict[str, Any], tmp_path: Path, place: str, kind: str, loader: str
) -> None:
    path = planted(good, tmp_path, place, payloads(tmp_path)[kind])
    try:
        getattr(pixelcnn, loader)(path)
        message = "loaded"
    except Exception as error:  # what it was, when not the refusal: the file system is checked first
        message = f"{type(error).__name__}: {error}"
    untouched(tmp_path)
    assert SECRET not in message
    assert message.startswith("CheckpointError") and f"{place} = " in message and "interpolation" in message, message
    assert "\n" not in message


def test_the_planted_payloads_act_when_resolved(tmp_path: Path) -> None:
    """What the tests above guard against is real: resolved and instantiated, each payload acts."""
    resolved_values = OmegaConf.to_container(OmegaConf.create(payloads(tmp_path)), resolve=True)
    assert resolved_values["oc.env"] == SECRET and (tmp_path / "made_by_checkpoint").is_dir()
    hydra.utils.instantiate(resolved_values["oc.create"])
    assert (tmp_path / "copied.txt").read_text() == "data"


def test_an_interpolation_in_a_key_is_refused(good: dict[str, Any], tmp_path: Path) -> None:
    path = planted(good, tmp_path, "pixelcnn_config.data.seed", "${oc.env:PIXELCNN_TEST_SECRET}", as_key=True)
    with pytest.raises(CheckpointError, match=re.escape("pixelcnn_config.data.seed.${oc.env:")) as refused:
        pixelcnn.load_model(path)
    assert SECRET not in str(refused.value) and "(a key)" in str(refused.value)


def test_a_deep_tree_is_walked_without_recursion() -> None:
    deep: Any = "${oc.env:PIXELCNN_TEST_SECRET}"
    for _ in range(100_000):
        deep = {"a": [deep]}
    with pytest.raises(CheckpointError, match="interpolation"):
        check_no_interpolation(deep, "a deep tree")


def entry_point_line(run: Callable[[], Any], capsys: pytest.CaptureFixture) -> str:
    with pytest.raises(SystemExit) as stopped, user_errors():
        run()
    lines = capsys.readouterr().err.strip().splitlines()
    assert stopped.value.code == 2 and len(lines) == 1, lines
    return lines[0]


@pytest.mark.parametrize("place", ["hyper_parameters.optimizer.lr", "pixelcnn_config.data.batch_size"])
@pytest.mark.parametrize("kind", ["oc.create", "unique_dir", "oc.env"])
def test_eval_refuses_a_planted_interpolation_in_one_line(
    good: dict[str, Any], tmp_path: Path, make_config, capsys, place: str, kind: str
) -> None:
    path = planted(good, tmp_path, place, payloads(tmp_path)[kind])
    cfg = make_config(f"ckpt_path={path}", "print_config=false", name="eval", output_dir=tmp_path / "eval")
    line = entry_point_line(lambda: evaluate(cfg), capsys)
    assert f"{place} = " in line and SECRET not in line, line
    untouched(tmp_path)
    assert not (tmp_path / "eval" / "metrics.json").exists()


@pytest.mark.parametrize("kind", ["oc.create", "unique_dir", "oc.env"])
def test_resume_refuses_a_planted_interpolation_in_one_line(
    good: dict[str, Any], tmp_path: Path, make_config, capsys, kind: str
) -> None:
    path = planted(good, tmp_path, "pixelcnn_config.trainer", {"num_nodes": payloads(tmp_path)[kind]})
    cfg = make_config(*FAST_TRAIN, f"ckpt_path={path}", output_dir=tmp_path / "resumed")
    line = entry_point_line(lambda: train(cfg), capsys)
    assert "pixelcnn_config.trainer.num_nodes = " in line and SECRET not in line, line
    untouched(tmp_path)
    assert not (tmp_path / "resumed" / "checkpoints").exists()


class Foreign(nn.Module):
    """A module defined outside the package that poses as one of it."""

    built: list[str] = []  # noqa: RUF012

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()
        Foreign.built.append("built")


Foreign.__module__ = "pixelcnn.nn.backbone"  # defeats a defining-module check


@pytest.mark.parametrize(
    "target",
    [
        "pixelcnn.nn.backbone.Planted",  # a foreign class placed into a pixelcnn module
        "pixelcnn.nn.backbone.nn.Conv2d",  # a pixelcnn-prefixed name leading to torch's class
        "pixelcnn.tasks.train.ModelCheckpoint",  # a Lightning class imported into a pixelcnn module
    ],
)
def test_a_pixelcnn_name_leading_to_a_foreign_class_is_refused(
    good: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, target: str
) -> None:
    monkeypatch.setattr(pixelcnn.nn.backbone, "Planted", Foreign, raising=False)
    Foreign.built.clear()
    path = planted(good, tmp_path, "hyper_parameters.backbone._target_", target)
    with pytest.raises(CheckpointError, match=re.escape(f"hyper_parameters.backbone._target_ = '{target}'")):
        pixelcnn.load_model(path)
    assert Foreign.built == []
    model_path = planted(good, tmp_path, "model_target", target)
    with pytest.raises(CheckpointError, match=re.escape(f"model_target = '{target}'")):
        pixelcnn.load_model(model_path)
    assert Foreign.built == []


def test_a_re_exported_allowed_class_is_the_class_itself(good: dict[str, Any], tmp_path: Path) -> None:
    path = planted(good, tmp_path, "model_target", "pixelcnn.models.PixelCNN")
    assert type(pixelcnn.load_model(path)) is PixelCNN


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every connection attempt and every timm / hub download is recorded and refused."""
    import huggingface_hub
    import timm.models._builder as builder

    calls: list[str] = []

    def refuse(name: str) -> Callable[..., Any]:
        def refused(*args: Any, **kwargs: Any) -> Any:
            calls.append(name)
            raise OSError(f"network call {name} in a test")

        return refused

    monkeypatch.setattr(socket.socket, "connect", refuse("socket.connect"))
    monkeypatch.setattr(socket, "create_connection", refuse("socket.create_connection"))
    monkeypatch.setattr(builder, "load_pretrained", refuse("timm.load_pretrained"))
    monkeypatch.setattr(huggingface_hub, "hf_hub_download", refuse("hf_hub_download"))
    return calls


@pytest.fixture(scope="module")
def timm_autoencoder() -> dict[str, Any]:
    torch.manual_seed(0)
    encoder = {"_target_": "pixelcnn.autoencoder.TimmEncoder", "model_name": "test_resnet"}
    model = PixelCNNAutoEncoder((1, 8, 8), 17, 4, encoder=encoder, backbone=TINY_BACKBONE)
    return checkpoint_of(model)


def test_a_stored_pretrained_encoder_loads_without_fetching(
    timm_autoencoder: dict[str, Any], tmp_path: Path, no_network: list[str]
) -> None:
    path = planted(timm_autoencoder, tmp_path, "hyper_parameters.encoder.pretrained", True)
    model = pixelcnn.load_model(path)
    assert no_network == []
    stored = timm_autoencoder["state_dict"]
    assert all(torch.equal(value, stored[name]) for name, value in model.state_dict().items())


@pytest.mark.parametrize("name", ["hf-hub:timm/resnet18.a1_in1k", "hf_hub:timm/resnet18.a1_in1k", "local-dir:/x"])
def test_a_stored_hub_encoder_is_refused_without_fetching(
    timm_autoencoder: dict[str, Any], tmp_path: Path, no_network: list[str], name: str
) -> None:
    checkpoint = copy.deepcopy(timm_autoencoder)
    checkpoint["hyper_parameters"]["encoder"].update(model_name=name, pretrained=True)
    torch.save(checkpoint, tmp_path / "hub.ckpt")
    with pytest.raises(CheckpointError, match="hf-hub") as refused:
        pixelcnn.load_model(tmp_path / "hub.ckpt")
    assert "\n" not in str(refused.value) and no_network == []


def test_a_stored_download_is_off_and_a_missing_stored_folder_is_not_created(
    good: dict[str, Any], tmp_path: Path, no_network: list[str]
) -> None:
    missing = tmp_path / "elsewhere" / "data"
    data = {**DIGITS, "_target_": "pixelcnn.data.MNISTDataModule", "data_dir": str(missing), "download": True}
    path = planted(good, tmp_path, "pixelcnn_config.data", data)
    with pytest.raises(CheckpointError, match=re.escape("data_dir = ")):
        pixelcnn.load_datamodule(path)
    assert not (tmp_path / "elsewhere").exists() and no_network == []


def test_the_refused_pickle_global_is_named(good: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "pickled.ckpt"
    torch.save({**good, "evil": os.getcwd}, path)
    with pytest.raises(CheckpointError) as refused:
        read_checkpoint(path)
    message = str(refused.value)
    assert re.search(r"refused global '(posix|nt)\.getcwd'", message), message
    assert "Weights only load failed" not in message and "\n" not in message
    assert isinstance(refused.value.__cause__, pickle.UnpicklingError)


def test_a_checkpoint_this_repo_writes_holds_no_interpolation(make_config, tmp_path: Path) -> None:
    """A real run stores its resolved config: it passes every reader's check (``${...}`` in conf/ resolved first)."""
    cfg = make_config(*FAST_TRAIN, "trainer.limit_train_batches=1", "trainer.limit_val_batches=1", "test=false")
    train(cfg)
    last = tmp_path / "run" / "checkpoints" / "last.ckpt"
    checkpoint = read_checkpoint(last)
    assert checkpoint["pixelcnn_config"]["callbacks"]["model_checkpoint"]["dirpath"] == str(last.parent)
    assert type(pixelcnn.load_model(last)) is PixelCNN
    assert pixelcnn.load_datamodule(last).image_shape == (1, 8, 8)


def test_the_multinode_trainer_is_stored_resolved(make_config, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SLURM_NNODES", raising=False)
    monkeypatch.setenv("SLURM_NTASKS_PER_NODE", "4")
    stored = resolved(make_config("trainer=multinode"))
    check_no_interpolation(stored, "the stored config")  # ${oc.decode:${oc.env:SLURM_NNODES,1}} resolved
    assert stored["trainer"]["num_nodes"] == 1 and stored["trainer"]["devices"] == 4


def test_training_refuses_to_store_an_escaped_interpolation(make_config, capsys) -> None:
    cfg = make_config(*FAST_TRAIN, "+notes=\\${oc.env:PIXELCNN_TEST_SECRET}")
    line = entry_point_line(lambda: train(cfg), capsys)
    assert "notes = '${oc.env:PIXELCNN_TEST_SECRET}'" in line and SECRET not in line, line


def test_a_stored_download_is_turned_off(good: dict[str, Any], tmp_path: Path) -> None:
    mnist = {"_target_": "pixelcnn.data.MNISTDataModule", "image_shape": [1, 28, 28], "num_levels": 256}
    data = {**mnist, "data_dir": str(tmp_path), "download": True}
    assert pixelcnn.load_datamodule(planted(good, tmp_path, "pixelcnn_config.data", data)).download is False


def test_a_stored_data_config_that_does_not_fit_is_one_line(good: dict[str, Any], tmp_path: Path) -> None:
    data = {"_target_": "pixelcnn.data.DigitsDataModule", "no_such_option": 1}
    with pytest.raises(CheckpointError, match="data config does not fit") as refused:
        pixelcnn.load_datamodule(planted(good, tmp_path, "pixelcnn_config.data", data))
    assert "\n" not in str(refused.value)
