"""The benchmark scripts run with tiny settings and print one valid JSON object (no timing is asserted)."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.helpers import REPO

TINY = ["--device", "cpu", "--threads", "1", "--layers", "2", "--hidden", "12", "--kernel", "3"]


def run_benchmark(script: str, *args: str) -> dict:
    result = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / script), *TINY, *args],
        cwd=REPO, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, result.stdout  # exactly one JSON object, nothing else on stdout
    return json.loads(lines[0])


def test_sampling_benchmark_compares_naive_and_cached() -> None:
    out = run_benchmark("sampling.py", "--shapes", "1x3x4,3x4x3", "--batch-sizes", "1,2", "--naive-sub-pixels", "20")
    assert out["benchmark"] == "sampling" and out["device"] == "cpu" and out["backbone"]["num_layers"] == 2
    rows = out["results"]
    assert [(r["image_shape"], r["batch_size"]) for r in rows] == [
        ([1, 3, 4], 1), ([1, 3, 4], 2), ([3, 4, 3], 1), ([3, 4, 3], 2),
    ]  # fmt: skip
    for row in rows:
        assert row["identical"] is True
        assert row["cached_s_per_image"] > 0 and row["naive_s_per_image"] > 0 and row["speedup"] > 0
    # 12 sub-pixels are all measured; of 36, only the first 20, and the naive time is extrapolated.
    assert [r["naive_extrapolated"] for r in rows] == [False, False, True, True]
    assert [r["compared_sub_pixels"] for r in rows] == [12, 12, 20, 20]


def test_training_benchmark_reports_throughput_memory_and_flops() -> None:
    out = run_benchmark(
        "training.py", "--batch-size", "2", "--image-size", "6", "--steps", "2", "--warmup", "1",
        "--matmul-size", "128", "--precision", "bf16-mixed",
    )  # fmt: skip
    assert out["benchmark"] == "training" and out["precision"] == "bf16-mixed" and out["compile"] is False
    assert out["image_shape"] == [3, 6, 6] and out["batch_size"] == 2
    # the CIFAR-10 experiment's backbone (composed from conf/ as train.py does) with the tiny overrides on top
    assert out["backbone"] == {
        "num_layers": 2, "hidden_channels": 12, "kernel_size": 3, "first_kernel_size": 3, "skip_channels": 12,
        "output_hidden": 24, "dropout": 0.0,
    }  # fmt: skip
    assert out["images_per_s"] > 0 and out["peak_memory_mb"] > 0
    assert out["step_flops"] > 0 and 0 < out["fraction_of_matmul"]
    assert out["achieved_flops_per_s"] == out["step_flops"] / out["step_s"]


def test_evaluation_benchmark_reports_images_per_second() -> None:
    out = run_benchmark(
        "evaluation.py", "--image-shape", "1x5x4", "--levels", "4", "--batch-size", "3", "--num-images", "7"
    )
    assert out["benchmark"] == "evaluation" and out["num_images"] == 7
    assert out["images_per_s"] > 0
    # Random weights put about log2(4) = 2 bits on each of 4 levels.
    assert 1.0 < out["bpd"] < 4.0


def test_quality_benchmark_trains_each_head_for_a_budget_and_reports_bits_per_dim() -> None:
    out = run_benchmark(
        "quality.py", "--minutes", "0.5", "--max-steps", "2", "--eval-batches", "1", "--batch-size", "4"
    )
    assert out["benchmark"] == "quality" and out["data"] == "patches" and out["threads"] == 1
    assert set(out["heads"]) == {"softmax", "logistic_mixture"}
    assert "load_average_1min" in out and "load_average_1min_at_start" in out
    for result in out["heads"].values():
        assert result["steps"] == 2 and result["images_per_s"] > 0
        assert 0 < result["val_bpd"] < 12 and 0 < result["test_bpd"] < 12
