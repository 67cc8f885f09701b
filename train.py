"""Train a PixelCNN: ``python train.py [model=gated_cond] [data=cifar10] [trainer=gpu] [logger=wandb] ...``."""

import hydra
from omegaconf import DictConfig

from pixelcnn.tasks.errors import run_entry_point, user_errors


@hydra.main(version_base="1.3", config_path="conf", config_name="train")
def main(cfg: DictConfig) -> float | None:
    from pixelcnn.tasks.train import optimized_value, train

    with user_errors():
        return optimized_value(cfg, train(cfg))


if __name__ == "__main__":
    run_entry_point(main)
