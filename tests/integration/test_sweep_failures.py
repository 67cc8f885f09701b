"""A failed sweep job is recorded in its folder and the sweep goes on; the command exits non-zero at the end."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import FAST_TRAIN, run_cli


def test_a_failed_job_does_not_stop_the_sweep(tmp_path: Path) -> None:
    overrides = [*FAST_TRAIN, "~callbacks.sample_grid", "figures=none", "test=false", "logger=csv"]
    result = run_cli("train.py", "-m", "model.optimizer.lr=inf,0.001", *overrides, f"hydra.sweep.dir={tmp_path}")
    assert result.returncode == 1, result.stderr[-3000:]
    failed, finished = tmp_path / "0", tmp_path / "1"
    reason = (failed / "failed.txt").read_text()
    assert "model.optimizer.lr=inf" in reason and "NaN or infinite at global step 1" in reason, reason
    assert not (failed / "metrics.json").exists()
    assert not (finished / "failed.txt").exists()
    assert "val/bpd" in json.loads((finished / "metrics.json").read_text())  # the second job ran after the failure
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 2, result.stderr[-3000:]
    assert errors[0].startswith("error: sweep job 0 (model.optimizer.lr=inf") and "failed: the weights" in errors[0]
    assert errors[1] == f"error: 1 sweep job(s) failed; failed.txt in {failed} says why"
