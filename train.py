"""Train a PixelCNN: ``python train.py [model=gated_cond] [data=cifar10] [trainer=gpu] [logger=wandb] ...``."""

from pathlib import Path

import hydra
from omegaconf import DictConfig

from pixelcnn.tasks.errors import run_entry_point
from pixelcnn.tasks.quiet import quiet_noise
from pixelcnn.tasks.resolvers import register_resolvers
from pixelcnn.tasks.sweep_jobs import every_trial_failed, exit_if_jobs_failed, run_job

register_resolvers()  # before @hydra.main composes the config: it uses ${run_name:...}, ${unique_dir:...}
quiet_noise()


@hydra.main(version_base="1.3", config_path="conf", config_name="train")
def main(cfg: DictConfig) -> float | None:
    from pixelcnn.tasks.train import optimized_value, train

    return run_job(lambda: optimized_value(cfg, train(cfg)), Path(cfg.paths.output_dir))


if __name__ == "__main__":
    with every_trial_failed():
        run_entry_point(main)
    exit_if_jobs_failed()
