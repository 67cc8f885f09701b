"""What the machine lacks, in one line: no internet for data.download=true, no SLURM for hydra/launcher=slurm."""

from __future__ import annotations

import shutil
import urllib.error
import urllib.request
from pathlib import Path

import hydra
import pytest

from pixelcnn.errors import DataNotFoundError
from pixelcnn.tasks.errors import user_message


@pytest.mark.parametrize("data", ["mnist", "cifar10"])
def test_download_without_internet_is_one_line(make_config, tmp_path: Path, monkeypatch, data: str) -> None:
    def no_network(*args, **kwargs):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    cfg = make_config(f"data={data}", "data.download=true", f"data.data_dir={tmp_path / 'data'}")
    datamodule = hydra.utils.instantiate(cfg.data)
    with pytest.raises(DataNotFoundError) as caught:
        datamodule.prepare_data()
    message = user_message(caught.value)
    assert message.startswith(f"could not download {datamodule.dataset_name} into {tmp_path / 'data'}")
    assert "internet" in message and "data.download=true" in message and "\n" not in message


def test_slurm_launcher_off_a_cluster_is_one_line(tmp_path: Path) -> None:
    if shutil.which("srun"):
        pytest.skip("this machine has SLURM")
    import submitit

    with pytest.raises(RuntimeError) as caught:
        submitit.SlurmExecutor(folder=tmp_path)
    message = user_message(caught.value)
    assert message is not None and message.startswith("hydra/launcher=slurm needs SLURM") and "\n" not in message
    assert user_message(FileNotFoundError(2, "No such file or directory", "sbatch")) == message
    assert user_message(RuntimeError("some bug")) is None  # other errors keep their traceback


def test_slurm_launcher_composes_with_a_single_machine_trainer(make_config) -> None:
    make_config("hydra/launcher=slurm")
    from hydra.core.hydra_config import HydraConfig

    assert HydraConfig.get().launcher.nodes == 1  # trainer=cpu has no num_nodes
