"""A checkpoint with a changed byte is refused (the zip CRC-32s are checked), naming the file; a device the machine
lacks is named as such, not reported as a corrupt file."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
import torch

import pixelcnn
from pixelcnn.checkpoints.registry import qualified_name
from pixelcnn.errors import CheckpointError, InputError
from pixelcnn.models import PixelCNN
from tests.helpers import TINY_BACKBONE


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory) -> Path:
    model = PixelCNN((1, 4, 4), 5, backbone=TINY_BACKBONE)
    checkpoint = {
        "state_dict": model.state_dict(),
        "model_target": qualified_name(PixelCNN),
        "hyper_parameters": dict(model.hparams),
    }
    path = tmp_path_factory.mktemp("ckpt") / "good.ckpt"
    torch.save(checkpoint, path)
    return path


def flipped(good: Path, folder: Path, member_suffix: str, at: int) -> Path:
    """A copy of ``good`` with one byte of the zip member ending in ``member_suffix`` inverted."""
    data = bytearray(good.read_bytes())
    with zipfile.ZipFile(good) as archive:
        info = next(i for i in archive.infolist() if i.filename.endswith(member_suffix))
        with archive.open(info) as member:
            start = member._orig_compress_start  # where the member's bytes begin in the file  # noqa: SLF001
    data[start + at] ^= 0xFF
    path = folder / "flipped.ckpt"
    path.write_bytes(bytes(data))
    return path


def test_a_good_checkpoint_loads(good: Path) -> None:
    assert isinstance(pixelcnn.load_model(good), PixelCNN)


@pytest.mark.parametrize(("member", "at"), [("data/0", 5), ("data/3", 1), ("data.pkl", 40)])
def test_a_flipped_byte_is_refused_naming_the_file(good: Path, tmp_path: Path, member: str, at: int) -> None:
    path = flipped(good, tmp_path, member, at)
    with pytest.raises(CheckpointError, match=rf"checkpoint {path} is corrupt: .*{member} fails its CRC-32 check"):
        pixelcnn.load_model(path)


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without a GPU")
@pytest.mark.parametrize("device", ["cuda", "cuda:1", torch.device("cuda")])
def test_a_missing_gpu_is_named_not_called_corrupt(good: Path, device) -> None:
    with pytest.raises(InputError, match=r"this machine has no cuda device\(s\); pass map_location='cpu'") as error:
        pixelcnn.load_model(good, map_location=device)
    assert "corrupt" not in str(error.value)


def test_a_device_string_that_is_no_device_is_named(good: Path) -> None:
    with pytest.raises(InputError, match="map_location='gpu0' is not a device"):
        pixelcnn.load_model(good, map_location="gpu0")
