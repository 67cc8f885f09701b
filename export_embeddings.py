"""Export (image, h) pairs: ``python export_embeddings.py ckpt_path=<embedder .ckpt> [data=...] [output=...]``."""

import hydra
from omegaconf import DictConfig

from pixelcnn.tasks.errors import run_entry_point, user_errors
from pixelcnn.tasks.quiet import quiet_noise
from pixelcnn.tasks.resolvers import register_resolvers
from pixelcnn.tasks.startup import check_complete, removed_if_failed

register_resolvers()  # before @hydra.main composes the config: it uses ${run_name:...}, ${unique_dir:...}
quiet_noise()


@hydra.main(version_base="1.3", config_path="conf", config_name="export")
def main(cfg: DictConfig) -> None:
    with removed_if_failed(cfg.paths.output_dir), user_errors():
        check_complete(cfg)  # before Lightning's import: a missing ckpt_path is reported in a second
        from pixelcnn.tasks.export import export

        export(cfg)


if __name__ == "__main__":
    run_entry_point(main)
