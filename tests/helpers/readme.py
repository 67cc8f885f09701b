"""The shell commands of the README and of the guides in ``GUIDES``, and where each one runs.

Every line of their ```bash blocks is one of:

- run by the generic runner (``tests/integration/test_readme_run.py``): ``python train.py``, ``python eval.py``,
  ``python -m pixelcnn.analysis.compare`` and ``wandb sync --dry-run`` lines not listed below, each with its exact
  overrides plus shrinking ones;
- ``COVERED``: run by a named test (``path::test``) or by the CI script, which must exist;
- ``NOT_HERE``: needs what no test machine has (a W&B account and internet), with the reason.

``tests/unit/test_readme_commands.py`` fails when a README line is none of these.
"""

from __future__ import annotations

import re

from tests.helpers.config import REPO

# The files whose ```bash blocks are run: the README and the guides its commands moved to.
GUIDES = (
    "README.md",
    "docs/heads.md",
    "docs/fast-sampling.md",
    "docs/training-options.md",
    "docs/wandb.md",
    "docs/sweeps-and-clusters.md",
    "docs/experiments.md",
    "docs/benchmarks.md",
)
CI = ".ci/run"
SCALE_OUT = "tests/integration/test_scale_out.py"
PORTRAITS = "tests/integration/test_portraits_pipeline.py"
BENCHMARKS = "tests/integration/test_benchmarks.py"

COVERED = {
    "python3 -m venv .venv": CI,
    ". .venv/bin/activate": CI,
    "pip install -r requirements.txt": CI,
    "source .venv/bin/activate": CI,
    "python -m pytest -q": CI,
    # benchmarks, with the tiny settings of their tests
    "python benchmarks/sampling.py [--shapes 1x8x8,3x32x32,3x64x64] [--batch-sizes 1,16] [--naive-sub-pixels 96] "
    "[--scale-shape 1x8x8 --scale-levels 17 --scale-sizes 64,4096] [--capture auto|true|false]": f"{BENCHMARKS}::"
    "test_sampling_benchmark_compares_naive_and_cached",
    "python benchmarks/training.py [--batch-size 64] [--precision 32|bf16-mixed|16-mixed] [--compile] [--steps 10]": (
        f"{BENCHMARKS}::test_training_benchmark_reports_throughput_memory_and_flops"
    ),
    "python benchmarks/evaluation.py [--batch-size 64] [--num-images 512] [--precision 32|bf16-mixed]": (
        f"{BENCHMARKS}::test_evaluation_benchmark_reports_images_per_second"
    ),
    "python benchmarks/data.py [--resolutions 32,64] [--images 20000] [--num-workers 4] [--batch-size N]": (
        f"{BENCHMARKS}::test_data_benchmark_compares_loader_and_model_images_per_second"
    ),
    "bash benchmarks/gpu.sh [OUT.json]": f"{BENCHMARKS}::test_gpu_script_runs_end_to_end_with_tiny_settings",
    "python benchmarks/quality.py [--minutes 5] [--threads 1] [--heads softmax,logistic_mixture] "
    "[--override KEY=VALUE] [--clock wall|cpu]": f"{BENCHMARKS}::"
    "test_quality_benchmark_trains_each_head_for_a_budget_and_reports_bits_per_dim",
    # several processes: two train.py 'nodes' on loopback (trainer=multinode, as srun starts them), eval over ddp_cpu
    "srun python train.py experiment=imagenet32 trainer=multinode "
    "hydra.run.dir=outputs/train/runs/slurm_${SLURM_JOB_ID}": f"{SCALE_OUT}::test_two_nodes_on_loopback_train_together",
    "python eval.py ckpt_path=... trainer=ddp_cpu": (
        f"{SCALE_OUT}::test_ddp_cpu_test_bpd_equals_one_process_without_duplicates"
    ),
    # sweeps
    "python train.py -m model.optimizer.lr=0.0003,0.001 seed=0,1 logger=wandb": (
        "tests/integration/test_sweep_output.py::test_multirun_jobs_share_one_wandb_group"
    ),
    "python train.py hparams_search=optuna hydra.sweeper.n_trials=30": (
        f"{SCALE_OUT}::test_optuna_sweep_with_one_wandb_run_per_job"
    ),
    "python train.py hparams_search=optuna hydra.sweeper.storage=sqlite:///sweep.db": (
        "tests/integration/test_sweep_output.py::test_optuna_with_a_database_prints_no_alembic_lines"
    ),
    # the portrait experiment, steps 1-4, on 8x8 textures
    "python train.py experiment=portraits_embedder": (
        f"{PORTRAITS}::test_embedder_experiment_reports_held_out_retrieval"
    ),
    "python export_embeddings.py ckpt_path=outputs/portraits_embedder/runs/<date>/checkpoints/last.ckpt": (
        f"{PORTRAITS}::test_export_writes_into_its_run_folder_and_prints_the_data_path"
    ),
    "python train.py experiment=portraits data.path=outputs/export/runs/<date>/embeddings.pt": (
        f"{PORTRAITS}::test_conditional_pixelcnn_trains_on_the_pairs_and_reloads"
    ),
    "python train.py experiment=portraits model=gated_spatial data.path=outputs/export/runs/<date>/embeddings.pt": (
        f"{PORTRAITS}::test_conditional_pixelcnn_trains_on_the_pairs_and_reloads"
    ),
    "python eval.py ckpt_path=outputs/portraits/runs/<date>/checkpoints/last.ckpt": (
        f"{PORTRAITS}::test_eval_writes_figure_4_and_5"
    ),
    # Figure 6: the auto-encoder, the unconditional model and the MSE baseline trained first
    "python eval.py ckpt_path=<autoencoder run>/checkpoints/epoch_NNN.ckpt "
    "compare_ckpt=<unconditional run>/checkpoints/epoch_NNN.ckpt "
    "figures.reconstructions.mse_ckpt=<mse_autoencoder run>/checkpoints/epoch_NNN.ckpt": (
        "tests/integration/test_autoencoder_cli.py::test_eval_reports_both_bpds_and_writes_figure6"
    ),
}

NOT_HERE = {
    "wandb login": "needs a W&B account (an API key) and internet",
    "wandb sync outputs/train/runs/<date>/wandb/offline-run-*": "uploads: needs a W&B account and internet",
    "wandb sync -p my_project outputs/*/runs/*/wandb/offline-run-*": "uploads: needs a W&B account and internet",
}

GENERIC = re.compile(r"python (train\.py|eval\.py|-m pixelcnn\.analysis\.compare)( |$)|wandb sync --dry-run ")


def readme_lines() -> list[str]:
    """Every command of the ```bash blocks of ``GUIDES``: continuations joined, ``&&`` chains split, comments dropped;
    a command that two files show is listed once."""
    text = "\n".join((REPO / guide).read_text() for guide in GUIDES)
    lines: list[str] = []
    for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S):
        for raw in block.replace("\\\n", " ").splitlines():
            line = " ".join(raw.split(" #")[0].split())
            if not line or line.startswith("#"):
                continue
            if line.startswith("[") and lines:  # an option list continued on the next line
                lines[-1] += " " + line
            else:
                lines.extend(part.strip() for part in line.split(" && "))
    return list(dict.fromkeys(lines))


def generic_commands() -> list[str]:
    """The README lines the generic runner runs."""
    return [line for line in readme_lines() if line not in COVERED and line not in NOT_HERE and GENERIC.match(line)]
