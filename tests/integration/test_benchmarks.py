"""The benchmark scripts run with tiny settings and print one valid JSON object (no timing is asserted)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

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
    out = run_benchmark(
        "sampling.py", "--shapes", "1x3x4,3x4x3", "--batch-sizes", "1,2", "--naive-sub-pixels", "20",
        "--scale-shape", "1x3x3", "--scale-levels", "5", "--scale-sizes", "2,6", "--scale-compare", "3",
        "--head-shape", "3x3x4", "--head-sizes", "2,3", "--clock", "wall",
    )  # fmt: skip
    assert out["benchmark"] == "sampling" and out["device"] == "cpu" and out["backbone"]["num_layers"] == 2
    # both heads side by side on the same backbone, the mixture's time over the softmax's, the same images as naive
    heads = out["heads"]
    assert [(r["head"], r["n"]) for r in heads["results"]] == [
        ("softmax", 2), ("softmax", 3), ("logistic_mixture", 2), ("logistic_mixture", 3),
    ]  # fmt: skip
    assert all(r["identical_first"] for r in heads["results"]) and heads["compared"] == "cached_s_per_image"
    assert heads["results"][0]["ratio_to_first"] == 1.0 and heads["results"][2]["ratio_to_first"] > 0
    assert out["capture"] == "auto" and out["static_buffers"] is False  # auto: static buffers / graphs on CUDA only
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
    # the scaling check and the targets, computed in the same run (CPU seconds on a CPU)
    scale = out["scaling"]
    assert scale["image_shape"] == [1, 3, 3] and [r["n"] for r in scale["results"]] == [2, 6]
    assert scale["results"][0]["identical_first"] is True and scale["results"][1]["identical_first"] is True
    targets = out["targets"]
    assert targets["identical_to_naive"] is True and targets["compared"] == "cached_s_per_image"  # --clock wall
    assert [t["image_shape"] for t in targets["batch_ratios"]] == [[1, 3, 4], [3, 4, 3]]
    assert targets["scale"]["worst_ratio_to_smallest_n"] == scale["results"][1]["ratio_to_smallest_n"]


def test_training_benchmark_reports_throughput_memory_and_flops() -> None:
    out = run_benchmark(
        "training.py", "--batch-size", "2", "--image-size", "6", "--steps", "2", "--warmup", "1",
        "--matmul-size", "128", "--precision", "bf16-mixed", "--rounds", "2",
    )  # fmt: skip
    assert out["benchmark"] == "training" and out["precision"] == "bf16-mixed" and out["compile"] is False
    assert out["image_shape"] == [3, 6, 6] and out["batch_size"] == 2
    # the CIFAR-10 experiment's backbone (composed from conf/ as train.py does) with the tiny overrides on top
    assert out["backbone"] == {
        "num_layers": 2, "hidden_channels": 12, "kernel_size": 3, "first_kernel_size": 3, "skip_channels": 12,
        "output_hidden": 24, "dropout": 0.0, "context_scales": 0, "context_channels": 32, "context_every": 1,
    }  # fmt: skip
    assert out["images_per_s"] > 0 and out["peak_memory_mb"] > 0
    assert out["step_flops"] > 0 and 0 < out["fraction_of_matmul"]
    assert out["achieved_flops_per_s"] == out["step_flops"] / out["step_s"]
    # the best of 2 interleaved rounds of steps against the best reference matmul of those rounds
    assert out["rounds"] == 2 and out["best_step_s"] <= out["step_s"]
    assert out["fraction_of_matmul"] == out["step_flops"] / out["best_step_s"] / out["matmul_flops_per_s"]
    assert out["mfu"] is None and out["peak_flops_per_s"] is None  # no known peak for a CPU


def test_context_path_benchmark_reports_each_variant_against_the_backbone_without() -> None:
    out = run_benchmark(
        "context_path.py", "--batch-size", "2", "--image-size", "6", "--samples", "1", "--steps", "1", "--rounds", "1"
    )
    variants = out["variants"]
    assert out["benchmark"] == "context_path" and out["image_shape"] == [3, 6, 6]
    assert variants["off"]["step_ratio"] == 1.0 and variants["off"]["sample_ratio"] == 1.0
    for name, result in variants.items():
        if name != "off":
            assert result["parameters"] > variants["off"]["parameters"]
            assert result["step_flops"] > variants["off"]["step_flops"] and result["sample_s"] > 0


def test_evaluation_benchmark_reports_images_per_second() -> None:
    out = run_benchmark(
        "evaluation.py", "--image-shape", "1x5x4", "--levels", "4", "--batch-size", "3", "--num-images", "7"
    )
    assert out["benchmark"] == "evaluation" and out["num_images"] == 7
    assert out["images_per_s"] > 0
    # Random weights put about log2(4) = 2 bits on each of 4 levels.
    assert 1.0 < out["bpd"] < 4.0


def test_data_benchmark_compares_loader_and_model_images_per_second() -> None:
    out = run_benchmark(
        "data.py", "--images", "30", "--batch-size", "4", "--num-workers", "1", "--batches", "10", "--steps", "1"
    )
    assert out["benchmark"] == "data" and out["num_workers"] == 1
    assert [r["resolution"] for r in out["results"]] == [32, 64]
    for row in out["results"]:
        # the official npz files were read by the data module: its train split is the images less the val hold-out
        assert row["batch_size"] == 4 and row["train_images"] == 30 - 30 // 20
        assert row["loader_images_per_s"] > 0 and row["model_images_per_s"] > 0 and row["first_batch_s"] > 0
        assert row["loader_over_model"] == row["loader_images_per_s"] / row["model_images_per_s"]
    assert out["loader_keeps_up"] == all(r["loader_over_model"] > 1 for r in out["results"])


def test_gpu_script_runs_end_to_end_with_tiny_settings(tmp_path: Path) -> None:
    """benchmarks/gpu.sh (prepared for one GPU) runs on CPU with TINY=1 and writes one JSON file of every part."""
    out = tmp_path / "gpu.json"
    env = {**os.environ, "TINY": "1", "DEVICE": "cpu", "PYTHON": sys.executable}
    result = subprocess.run(
        ["bash", str(REPO / "benchmarks" / "gpu.sh"), str(out)],
        cwd=REPO, capture_output=True, text=True, timeout=600, env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(out.read_text())
    assert report["benchmark"] == "gpu" and report["device"] == "cpu" and report["wall_s"] >= 0
    parts = report["parts"]
    assert sorted(parts) == ["data", "evaluation", "headline", "sampling", "sampling_eager", "training_cifar10_32"]
    assert all("error" not in part and "skipped" not in part for part in parts.values()), parts
    assert [r["batch_size"] for r in parts["sampling"]["results"]] == [1, 2]
    # sampling on static buffers (CUDA graphs on a GPU, eager here) and without them, the same images as naive
    assert parts["sampling"]["static_buffers"] is True and parts["sampling"]["cuda_graphs"] is False
    assert parts["sampling_eager"]["static_buffers"] is False
    assert (
        parts["sampling"]["targets"]["identical_to_naive"] and parts["sampling_eager"]["targets"]["identical_to_naive"]
    )
    assert parts["training_cifar10_32"]["images_per_s"] > 0 and parts["evaluation"]["images_per_s"] > 0
    assert [r["resolution"] for r in parts["data"]["results"]] == [32, 64]
    assert parts["headline"]["command"] == "python train.py model=gated_cond data=imagenet64"
    assert parts["headline"]["images_per_sec"] > 0
    # a part that cannot start within the budget is recorded as skipped, not run
    env["BUDGET_S"] = "0"
    subprocess.run(["bash", str(REPO / "benchmarks" / "gpu.sh"), str(out)], cwd=REPO, env=env, check=True, timeout=120)
    assert all("skipped" in part for part in json.loads(out.read_text())["parts"].values())


def test_quality_benchmark_trains_each_head_for_a_budget_and_reports_bits_per_dim() -> None:
    out = run_benchmark(
        "quality.py", "--minutes", "0.5", "--max-steps", "2", "--eval-batches", "1", "--batch-size", "4",
        "--clock", "cpu", "--curve-every", "1", "--override", "model.compile=false",  # compiling: test_compile_setting
    )  # fmt: skip
    assert out["benchmark"] == "quality" and out["data"] == "patches" and out["threads"] == 1
    assert out["clock"] == "cpu"
    assert set(out["heads"]) == {"softmax", "logistic_mixture"}
    assert "load_average_1min" in out and "load_average_1min_at_start" in out
    for result in out["heads"].values():
        assert result["steps"] == 2 and result["images_per_s"] > 0 and result["wall_seconds"] > 0
        assert result["compiled"] is False and result["precision"] in ("32-true", "bf16-mixed")  # native-bf16
        assert [point[0] for point in result["curve"]] == [1, 2]  # [step, seconds, train bits/dim] every step
        assert 0 < result["val_bpd"] < 12 and 0 < result["test_bpd"] < 12


def test_sampling_memory_benchmark_reports_each_kind_and_size() -> None:
    out = run_benchmark("sampling_memory.py", "--kinds", "none,class", "--sizes", "20,40", "--batch-size", "8")
    assert out["benchmark"] == "sampling_memory" and out["batch_size"] == 8 and out["all_chunks"] is False
    assert [(r["kind"], r["n"]) for r in out["runs"]] == [("none", 20), ("none", 40), ("class", 20), ("class", 40)]
    assert all(r["extra_mb"] >= 0 and r["before_mb"] > 0 for r in out["runs"])
