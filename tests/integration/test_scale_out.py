"""Several processes: two 'nodes' on loopback train together, DDP evaluation counts every image once, sweeps."""

from __future__ import annotations

import json
import math
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import yaml

from pixelcnn import load_model
from pixelcnn.data import DigitsDataModule
from pixelcnn.errors import PixelCNNError
from pixelcnn.tasks.distributed import check_sweep_strategy
from pixelcnn.tasks.runtime import trainer_from_config
from tests.helpers import FAST_TRAIN, REPO, run_cli

# Full epochs (1300 training images): 21 steps of 64 in one process, 11 per rank with two ranks.
NODE_TRAIN = [
    *(o for o in FAST_TRAIN if "limit_train_batches" not in o),
    "trainer=multinode",
    "trainer.accelerator=cpu",
    "trainer.devices=1",
    "trainer.num_nodes=2",
    "~callbacks.sample_grid",
    "figures=none",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def two_nodes(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """Two train.py processes, one per 'node', meeting on 127.0.0.1: (node 0's run folder, both outputs)."""
    root = tmp_path_factory.mktemp("nodes")
    port = str(free_port())
    processes = []
    for node in (0, 1):
        env = {
            **os.environ,
            "MASTER_ADDR": "127.0.0.1",
            "MASTER_PORT": port,
            "NODE_RANK": str(node),
            "WORLD_SIZE": "2",
            "GLOO_SOCKET_IFNAME": "lo",
        }
        command = [sys.executable, str(REPO / "train.py"), *NODE_TRAIN, f"hydra.run.dir={root / f'node{node}'}"]
        processes.append(
            subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        )
    outputs = [p.communicate(timeout=600)[0] for p in processes]
    for process, output in zip(processes, outputs, strict=True):
        assert process.returncode == 0, output[-3000:]
    return root / "node0", outputs


@pytest.mark.slow
def test_two_nodes_on_loopback_train_together(two_nodes: tuple[Path, list[str]]) -> None:
    run_dir, outputs = two_nodes
    reports = []
    for output in outputs:
        match = re.search(
            r"rank (\d) of (\d) \(node (\d)\): finished at global step (\d+), weights fingerprint (\S+)", output
        )
        assert match, output[-3000:]
        reports.append(match.groups())
    assert [r[:3] for r in reports] == [("0", "2", "0"), ("1", "2", "1")]  # one world of two ranks
    assert {r[3] for r in reports} == {"11"}  # each rank trained on its half: ceil(650 / 64) steps, not 21
    assert reports[0][4] == reports[1][4]  # different halves of the data, the same weights: gradients averaged
    checkpoint = torch.load(run_dir / "checkpoints" / "last.ckpt", weights_only=True)
    assert checkpoint["global_step"] == 11


@pytest.mark.slow
def test_ddp_cpu_test_bpd_equals_one_process_without_duplicates(two_nodes: tuple[Path, list[str]], tmp_path) -> None:
    run_dir, _ = two_nodes
    trained = json.loads((run_dir / "metrics.json").read_text())  # test/bpd computed by the 2 nodes
    best = trained["best_ckpt"]

    # one process, by hand: every test image once
    model = load_model(best)
    dm = DigitsDataModule(image_shape=[1, 8, 8], num_levels=17, num_classes=10, seed=0)
    dm.setup()
    x = torch.stack([dm.datasets["test"][i][0] for i in range(len(dm.datasets["test"]))])
    with torch.no_grad():
        nll = model.nll(x).double()
    dims = 64 * math.log(2.0)
    single = float(nll.sum() / (len(nll) * dims))
    # what Lightning's padding DistributedSampler would give: 297 images -> 298, image 0 counted twice
    padded = float((nll.sum() + nll[0]) / ((len(nll) + 1) * dims))
    assert abs(padded - single) > 1e-5  # the check below can tell the difference

    result = run_cli(
        "eval.py", f"ckpt_path={best}", "trainer=ddp_cpu", f"hydra.run.dir={tmp_path}", "print_config=false"
    )
    assert result.returncode == 0, result.stderr[-3000:]
    evaluated = json.loads((tmp_path / "metrics.json").read_text())  # 2 processes, gloo
    assert evaluated["test/bpd"] == pytest.approx(single, abs=2e-6)
    assert trained["test/bpd"] == pytest.approx(single, abs=2e-6)


def set_hydra_mode(mode) -> None:
    from hydra.core.hydra_config import HydraConfig
    from omegaconf import read_write

    with read_write(HydraConfig.get()):
        HydraConfig.get().mode = mode


def test_multirun_with_script_relaunching_ddp_is_refused(make_config) -> None:
    from hydra.types import RunMode

    cfg = make_config("trainer=ddp_cpu")
    trainer = trainer_from_config(cfg, logger=False, callbacks=[])
    check_sweep_strategy(trainer, cfg.trainer.strategy)  # a single run may use ddp
    set_hydra_mode(RunMode.MULTIRUN)
    with pytest.raises(PixelCNNError, match=r"multirun \(-m\) cannot use strategy=ddp.*ddp_spawn"):
        check_sweep_strategy(trainer, cfg.trainer.strategy)
    spawn_cfg = make_config("trainer=ddp_cpu", "trainer.strategy=ddp_spawn")
    spawn = trainer_from_config(spawn_cfg, logger=False)
    set_hydra_mode(RunMode.MULTIRUN)
    check_sweep_strategy(spawn, spawn_cfg.trainer.strategy)  # what the README recommends for local sweeps passes


@pytest.mark.slow
def test_optuna_sweep_with_one_wandb_run_per_job(tmp_path: Path) -> None:
    result = run_cli(
        "train.py",
        "hparams_search=optuna",
        "hydra.sweeper.n_trials=2",
        "logger=wandb",
        *FAST_TRAIN,
        "trainer.limit_val_batches=1",
        "~callbacks.sample_grid",
        "figures=none",
        "test=false",
        f"hydra.sweep.dir={tmp_path}",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    best = yaml.safe_load((tmp_path / "optimization_results.yaml").read_text())
    values, run_ids = [], []
    for job in ("0", "1"):
        values.append(json.loads((tmp_path / job / "metrics.json").read_text())["val/bpd"])
        runs = list((tmp_path / job / "wandb").glob("offline-run-*"))
        assert len(runs) == 1, f"job {job}: {runs}"  # its own W&B run, in its own folder
        run_ids.append(runs[0].name.rsplit("-", 1)[-1])
    assert run_ids[0] != run_ids[1]  # wandb.finish() between jobs: the second job did not reuse the first run
    assert best["best_value"] == pytest.approx(min(values))  # the sweep minimised the val/bpd train.py returned
