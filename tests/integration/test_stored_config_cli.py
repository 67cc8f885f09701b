"""``eval.py`` and ``export_embeddings.py`` rebuild the data module a checkpoint stores only from this package's
classes: a stored ``_target_`` of ``builtins.open`` (which would truncate a file) is refused with one line naming the
key, exit status 2, and the file is untouched."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from pixelcnn.checkpoints.registry import qualified_name
from pixelcnn.embeddings.module import TripletEmbedder
from pixelcnn.models import PixelCNN
from tests.helpers import TINY_BACKBONE, run_cli


def malicious_checkpoint(model: torch.nn.Module, victim: Path, path: Path) -> Path:
    """A checkpoint of ``model`` whose stored data config would call ``open(victim, "w")``."""
    checkpoint = {
        "state_dict": model.state_dict(),
        "model_target": qualified_name(type(model)),
        "hyper_parameters": dict(model.hparams),
        "pixelcnn_config": {"data": {"_target_": "builtins.open", "_args_": [str(victim), "w"]}},
    }
    torch.save(checkpoint, path)
    return path


@pytest.mark.parametrize("script", ["eval.py", "export_embeddings.py"])
def test_a_stored_data_target_outside_the_allow_list_is_refused(script: str, tmp_path: Path) -> None:
    victim = tmp_path / "precious.txt"
    victim.write_text("keep me")
    if script == "eval.py":
        model = PixelCNN((1, 4, 4), 5, backbone=TINY_BACKBONE)
    else:
        model = TripletEmbedder((1, 8, 8), 5, backbone_name="test_resnet", embedding_dim=4)
    ckpt = malicious_checkpoint(model, victim, tmp_path / "evil.ckpt")
    result = run_cli(script, f"ckpt_path={ckpt}", f"hydra.run.dir={tmp_path / 'run'}", "print_config=false")
    assert victim.read_text() == "keep me"
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1, result.stderr[-2000:]
    assert "pixelcnn_config.data._target_ = 'builtins.open'" in lines[0] and "refusing" in lines[0], lines[0]
