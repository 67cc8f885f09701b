"""PixelCNN conditioned on an embedding h (B, D) of an image (``model=gated_embed``): ``V^T h`` in every layer
(Eq. 4), with the paper's portrait figures: new samples of one embedding and interpolations between two."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch

from pixelcnn.conditioning.base import Conditioner
from pixelcnn.conditioning.vector import VectorConditioner
from pixelcnn.errors import InputError
from pixelcnn.models.base import PixelCNNModule
from pixelcnn.sampling import draw_uniforms, inverse_cdf
from pixelcnn.viz import save_grid


def pick_distinct(identities: torch.Tensor, count: int) -> list[int]:
    """Indices of ``count`` items, one per identity first (in order of appearance), then the rest in order."""
    first: dict[int, int] = {}
    for index, identity in enumerate(identities.tolist()):
        first.setdefault(int(identity), index)
    chosen = list(first.values())[:count]
    chosen += [i for i in range(len(identities)) if i not in chosen][: count - len(chosen)]
    return chosen


class EmbeddingConditionalPixelCNN(PixelCNNModule):
    """p(x | h) with ``cond`` a FloatTensor (B, cond_dim), e.g. a triplet-loss embedding of a portrait.

    Batches are (x, h, ...) as the ``embeddings`` data module gives them.
    """

    kind = "gated_embed"

    def __init__(
        self,
        image_shape: Sequence[int],
        num_levels: int,
        cond_dim: int | None,
        backbone: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        if not cond_dim or int(cond_dim) < 1:
            raise InputError(
                f"model={self.kind} needs one embedding h per image but data.cond_dim is {cond_dim}; use "
                "data=embeddings (a file written by export_embeddings.py) or set data.cond_dim"
            )
        self.cond_dim = int(cond_dim)
        super().__init__(image_shape, num_levels, backbone, cond_dim=self.cond_dim, **kwargs)
        self.grid_cond: torch.Tensor | None = None

    def build_conditioner(self) -> Conditioner:
        return VectorConditioner(self.cond_dim, self.backbone.num_layers, self.backbone.cond_channels)

    def batch_condition(self, batch: Sequence[torch.Tensor]) -> torch.Tensor:
        return batch[1]

    def validation_step(self, batch: Sequence[torch.Tensor], batch_idx: int) -> None:
        if batch_idx == 0:  # embeddings the sample-grid callback draws from
            self.grid_cond = batch[1][:64].detach()
        super().validation_step(batch, batch_idx)

    def grid_condition(self, n: int) -> torch.Tensor:
        """(n, D) embeddings for a sample grid: the first validation batch's h, cycled (zeros before any)."""
        if self.grid_cond is None or len(self.grid_cond) == 0:
            return torch.zeros(n, self.cond_dim, device=self.device)
        return self.grid_cond[torch.arange(n) % len(self.grid_cond)].to(self.device)

    @torch.no_grad()
    def sample_per_seed(self, cond: torch.Tensor, seeds: Sequence[int]) -> torch.Tensor:
        """Image i drawn with the noise of ``seeds[i]``: equal to ``sample(1, cond[i:i+1], seed=seeds[i])``.

        cond (n, D) float, len(seeds) == n -> LongTensor (n, C, H, W). One batched naive pass over all images.
        """
        n = len(seeds)
        was_training = self.training
        self.eval()
        try:
            biases = self.condition(cond, n)
            u = torch.cat([draw_uniforms(1, self.image_shape, int(s)) for s in seeds])
            channels, height, width = self.image_shape
            x = torch.zeros((n, channels, height, width), dtype=torch.long, device=self.device)
            for i in range(height):
                for j in range(width):
                    for c in range(channels):
                        logits = self.backbone(x, biases)[:, :, c, i, j]
                        x[:, c, i, j] = inverse_cdf(logits, u[:, c, i, j])
            return x
        finally:
            self.train(was_training)

    def interpolation_strips(self, h_start: torch.Tensor, h_end: torch.Tensor, steps: int, seeds: Sequence[int]):
        """Figure 5: one row per seed, ``steps`` images from h_start to h_end (linear), one seed per row.

        h_start, h_end (D,) -> LongTensor (len(seeds) * steps, C, H, W), row-major.
        """
        alphas = torch.linspace(0.0, 1.0, steps, device=h_start.device)[:, None]
        path = (1 - alphas) * h_start[None] + alphas * h_end[None]  # (steps, D)
        cond = path.repeat(len(seeds), 1)
        return self.sample_per_seed(cond, [int(s) for s in seeds for _ in range(steps)])

    def eval_figures(self, datamodule: Any, output_dir: Path, options: Mapping[str, Any]) -> dict[str, Path]:
        """``embedding_samples.png`` (Figure 4): per row one held-out image, then samples from its embedding;
        ``interpolations.png`` (Figure 5): rows of samples along h_a -> h_b, each row with one seed.

        The images and their h come from the data module's ``figure_split`` (default test: unseen identities).
        """
        seed = int(options.get("seed", 0))
        split = str(options.get("figure_split", "test"))
        rows = int(options.get("embedding_rows", 4))
        per_row = int(options.get("samples_per_embedding", 7))
        steps = int(options.get("interpolation_steps", 8))
        num_seeds = int(options.get("interpolation_seeds", 4))
        datamodule.setup()
        dataset = datamodule.datasets[split]
        labels = dataset.labels if dataset.indices is None else dataset.labels[dataset.indices]
        identities = torch.as_tensor(labels)
        chosen = pick_distinct(identities, max(rows, 2))
        images = torch.stack([dataset[i][0] for i in chosen]).to(self.device)
        h = torch.stack([dataset[i][1] for i in chosen]).to(self.device, torch.float32)

        output_dir = Path(output_dir)
        samples = self.sample(rows * per_row, cond=h[:rows].repeat_interleave(per_row, dim=0), seed=seed)
        grid = torch.cat([images[:rows, None], samples.view(rows, per_row, *self.image_shape)], dim=1)
        figure4 = save_grid(grid.flatten(0, 1), self.num_levels, output_dir / "embedding_samples.png", 1 + per_row)
        strips = self.interpolation_strips(h[0], h[1], steps, [seed + k for k in range(num_seeds)])
        figure5 = save_grid(strips, self.num_levels, output_dir / "interpolations.png", steps)
        return {"embedding_samples": figure4, "interpolations": figure5}
