"""Every run gets a folder of its own, even two runs started in the same second (``conf/hydra/default.yaml``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.core.utils import setup_globals
from omegaconf import OmegaConf

from pixelcnn.tasks.resolvers import register_resolvers
from tests.helpers import CONF, REPO


def test_importing_the_tasks_registers_nothing_the_entry_points_do() -> None:
    check = (
        "import pixelcnn.tasks.train, pixelcnn.tasks.evaluate, pixelcnn.tasks.export; from omegaconf import OmegaConf; "
        "assert not OmegaConf.has_resolver('unique_dir'), 'registered on import'; import train; "
        "assert all(OmegaConf.has_resolver(n) for n in ('unique_dir', 'run_name', 'run_group'))"
    )
    result = subprocess.run([sys.executable, "-c", check], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]


def run_folder(key: str) -> Path:
    """``hydra.<key>.dir`` of a freshly composed train config, resolved as Hydra resolves it for a new run."""
    register_resolvers()  # as the entry points do
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        cfg = compose("train", return_hydra_config=True)
    OmegaConf.register_new_resolver("now", lambda pattern: "2026-01-01_00-00-00", replace=True)  # the same second
    return Path(OmegaConf.select(cfg, f"hydra.{key}.dir"))


@pytest.mark.parametrize("key", ["run", "sweep"])
def test_runs_started_in_the_same_second_get_different_folders(key: str, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    try:
        folders = [run_folder(key) for _ in range(3)]
    finally:
        GlobalHydra.instance().clear()
        setup_globals()  # Hydra's own `now` again
    assert len(set(folders)) == 3, folders
    assert [f.name for f in folders] == ["2026-01-01_00-00-00", "2026-01-01_00-00-00_1", "2026-01-01_00-00-00_2"]
    assert all((tmp_path / f).is_dir() for f in folders)  # claimed (created) when resolved
