"""Train a PixelCNN: ``python train.py [model=gated_cond] [data=cifar10] [trainer=gpu] [logger=wandb] ...``."""

from pathlib import Path

import hydra
from omegaconf import DictConfig

from pixelcnn.tasks.errors import run_entry_point
from pixelcnn.tasks.quiet import quiet_noise
from pixelcnn.tasks.resolvers import register_resolvers
from pixelcnn.tasks.startup import check_complete, removed_if_failed
from pixelcnn.tasks.sweep_jobs import every_trial_failed, exit_if_jobs_failed, run_job

register_resolvers()  # before @hydra.main composes the config: it uses ${run_name:...}, ${unique_dir:...}
quiet_noise()


@hydra.main(version_base="1.3", config_path="conf", config_name="train")
def main(cfg: DictConfig) -> float | None:
    with removed_if_failed(cfg.paths.output_dir):
        return run_job(lambda: fit(cfg), Path(cfg.paths.output_dir))


def fit(cfg: DictConfig) -> float | None:
    check_complete(cfg)  # before Lightning's import: a config error is reported in a second
    from pixelcnn.tasks.train import optimized_value, train

    return optimized_value(cfg, train(cfg))


if __name__ == "__main__":
    with every_trial_failed():
        run_entry_point(main)
    exit_if_jobs_failed()
