"""Every bad value is one line (``error: ...``, exit status 2) naming the key, and the Python API raises
``InputError`` naming what it expects."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from pixelcnn.errors import InputError
from pixelcnn.models import ClassConditionalPixelCNN
from pixelcnn.tasks.errors import user_errors
from pixelcnn.tasks.train import train
from tests.helpers import FAST_TRAIN, TINY_BACKBONE, run_cli


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["data.batch_size=0"], "data.batch_size=0: must be a positive integer"),
        (["data.batch_size=-4"], "data.batch_size=-4: must be a positive integer"),
        (["model.backbone.kernel_size=4"], "model.backbone.kernel_size=4: a kernel size must be an odd"),
        (["model.backbone.first_kernel_size=6"], "model.backbone.first_kernel_size=6: a kernel size must be an odd"),
        (["data=patches", "model.backbone.hidden_channels=2"], "hidden_channels=2 is fewer than the 3 image channels"),
        (["data=patches", "model.backbone.skip_channels=1"], "skip_channels=1 is fewer than the 3 image channels"),
        (["model.backbone.kernel_size=17"], "model.backbone.kernel_size=17 is too large for 8x8 images"),
        (["model.backbone.first_kernel_size=21"], "model.backbone.first_kernel_size=21 is too large for 8x8"),
        (["data=patches", "model.backbone.first_kernel_size=65"], "use at most 63"),
        (["trainer.threads=0"], "trainer.threads=0: must be a positive integer"),
        (["model.compile=yes"], "model.compile must be auto, true or false, got 'yes'"),
    ],
)
def test_bad_config_values_are_one_line(make_config, capsys, overrides: list[str], message: str) -> None:
    cfg = make_config(*FAST_TRAIN, *overrides)
    with pytest.raises(SystemExit) as stopped, user_errors():
        train(cfg)
    lines = capsys.readouterr().err.strip().splitlines()
    assert stopped.value.code == 2 and len(lines) == 1 and lines[0] == f"error: {lines[0][7:]}", lines
    assert message in lines[0], lines[0]


@pytest.mark.slow
def test_an_unwritable_run_folder_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "a_file"
    blocker.write_text("a file where the run folder should go")
    for run_dir in (str(blocker / "run"), f"${{unique_dir:{blocker}/run}}"):
        result = run_cli("train.py", f"hydra.run.dir={run_dir}", "print_config=false")
        lines = result.stderr.strip().splitlines()
        assert result.returncode == 2 and len(lines) == 1, result.stderr[-2000:]
        assert lines[0].startswith("error: cannot ") and str(blocker) in lines[0], lines[0]
        assert "hydra.run.dir=" in lines[0], lines[0]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n": -1}, r"n \(the number of images\) must be an int >= 0, got -1"),
        ({"n": 2.5}, r"n \(the number of images\) must be an int >= 0, got 2.5"),
        ({"n": True}, r"n \(the number of images\) must be an int >= 0, got True"),
        ({"n": 2, "seed": None}, "seed must be an int >= 0, got None"),
        ({"n": 2, "seed": 1.5}, "seed must be an int >= 0, got 1.5"),
        ({"n": 2, "batch_size": 0}, "batch_size must be an int >= 1 or None, got 0"),
        ({"n": 2, "cond": [0, 1]}, r"cond must be a LongTensor \(2,\) of class ids, got list"),
    ],
)
def test_sample_refuses_bad_arguments(kwargs: dict, message: str) -> None:
    model = ClassConditionalPixelCNN((1, 4, 4), 5, num_classes=3, backbone=TINY_BACKBONE)
    kwargs = {"cond": torch.tensor([0, 1]), **kwargs}
    with pytest.raises(InputError, match=message):
        model.sample(**kwargs)
