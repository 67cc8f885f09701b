"""Evaluate a checkpoint: ``python eval.py ckpt_path=.../checkpoints/last.ckpt [splits=[test,train]]``."""

import hydra
from omegaconf import DictConfig

from pixelcnn.tasks.errors import run_entry_point, user_errors
from pixelcnn.tasks.quiet import quiet_noise
from pixelcnn.tasks.resolvers import register_resolvers

register_resolvers()  # before @hydra.main composes the config: it uses ${run_name:...}, ${unique_dir:...}
quiet_noise()


@hydra.main(version_base="1.3", config_path="conf", config_name="eval")
def main(cfg: DictConfig) -> None:
    from pixelcnn.tasks.evaluate import evaluate

    with user_errors():
        evaluate(cfg)


if __name__ == "__main__":
    run_entry_point(main)
