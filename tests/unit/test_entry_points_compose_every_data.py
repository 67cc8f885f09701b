"""eval.py and export_embeddings.py compose with every data config: a data config may name the model's groups
(``override head:``, ``override backbone:``), which only resolves where the entry point lists those groups."""

from __future__ import annotations

from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir

from tests.helpers.config import CONF

DATA = sorted(p.stem for p in (CONF / "data").glob("*.yaml"))


@pytest.mark.parametrize("entry", ["eval", "export"])
@pytest.mark.parametrize("data", DATA)
def test_an_entry_point_composes_with_every_data_config(entry: str, data: str, tmp_path: Path) -> None:
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        cfg = compose(entry, overrides=[f"data={data}", f"ckpt_path={tmp_path / 'x.ckpt'}"])
    assert cfg.data is not None
