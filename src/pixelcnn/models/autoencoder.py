"""PixelCNN auto-encoder (``model=autoencoder``, section 3.4): an encoder maps x to a bottleneck h (B, m) and the
shared gated backbone, conditioned on h through ``V^T h`` in every layer (Eq. 4), models p(x | h).

Encoder and decoder are trained end to end on the NLL of x given its own code, in bits/dim.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch

from pixelcnn.autoencoder_figure import reference_images, save_reconstruction_rows
from pixelcnn.conditioning.encoders import build_encoder
from pixelcnn.conditioning.vector import VectorConditioner
from pixelcnn.errors import CheckpointError, InputError
from pixelcnn.models.base import PixelCNNModule


class PixelCNNAutoEncoder(PixelCNNModule):
    """p(x | h = encoder(x)).

    ``cond`` is either images (B,C,H,W) long, which are encoded, or codes h (B, latent_dim) float:

    - ``model(x)`` / ``model.nll(x)``: cond defaults to x itself, i.e. the reconstruction NLL the model trains on;
    - ``model(x, cond=h)``: logits of x given a fixed code (causal in x);
    - ``model.sample(n, cond=images_or_h)``: n decodings; there is no prior over h, so cond is required.

    The projection ``V`` starts at zero, so before training the model is exactly an unconditional PixelCNN.
    """

    kind = "autoencoder"

    def __init__(
        self,
        image_shape: Sequence[int],
        num_levels: int,
        latent_dim: int = 10,
        encoder: Mapping[str, Any] | None = None,
        backbone: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        self.latent_dim = int(latent_dim)
        encoder = dict(encoder or {"kind": "conv"})
        super().__init__(image_shape, num_levels, backbone, latent_dim=self.latent_dim, encoder=encoder, **kwargs)
        self.encoder = build_encoder(self.hparams.encoder, self.image_shape, self.num_levels, self.latent_dim)

    def build_conditioner(self) -> VectorConditioner:
        conditioner = VectorConditioner(self.latent_dim, self.backbone.num_layers, self.backbone.cond_channels)
        torch.nn.init.zeros_(conditioner.project.weight)
        torch.nn.init.zeros_(conditioner.project.bias)
        return conditioner

    # --- the code h ------------------------------------------------------------------------------------------
    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Images (B,C,H,W) long -> codes h (B, latent_dim)."""
        self.check_images(x)
        return self.encoder(x)

    def code(self, cond: torch.Tensor | None, batch_size: int) -> torch.Tensor:
        """The code h (batch_size, latent_dim) that ``cond`` (images to encode, or h itself) stands for."""
        c, height, width = self.image_shape
        expected = (
            f"images ({batch_size}, {c}, {height}, {width}) long to encode or codes h ({batch_size}, {self.latent_dim})"
            " float"
        )
        if not isinstance(cond, torch.Tensor):
            raise InputError(f"the auto-encoder decodes a code: pass cond, {expected}")
        is_code = cond.dtype.is_floating_point and cond.shape == (batch_size, self.latent_dim)
        is_images = not cond.dtype.is_floating_point and cond.dim() == 4 and cond.shape[0] == batch_size
        if not (is_code or is_images):
            raise InputError(f"cond is {cond.dtype} of shape {tuple(cond.shape)} but must be {expected}")
        return cond if is_code else self.encode(cond)

    # --- hooks of PixelCNNModule -----------------------------------------------------------------------------
    def batch_condition(self, batch: Sequence[torch.Tensor]) -> torch.Tensor:
        return batch[0]

    def condition(self, cond: torch.Tensor | None, batch_size: int) -> list[torch.Tensor]:
        return self.conditioner(self.code(cond, batch_size))

    def forward(self, x: torch.Tensor, cond: torch.Tensor | None = None) -> torch.Tensor:
        """x (B,C,H,W) long, cond images or h (default: x itself) -> logits (B,K,C,H,W)."""
        return super().forward(x, x if cond is None else cond)

    # --- pictures ----------------------------------------------------------------------------------------------
    def grid_images(self, n: int, datamodule: Any, seed: int = 0) -> tuple[torch.Tensor, int]:
        """For the sample-grid callback: rows of a validation image followed by 3 decodings of its code."""
        rows, per_row = max(1, n // 4), 3
        originals = reference_images(datamodule, rows, "val").to(self.device)
        samples = self.sample(len(originals) * per_row, cond=originals.repeat_interleave(per_row, 0), seed=seed)
        grid = torch.cat([originals[:, None], samples.view(len(originals), per_row, *self.image_shape)], dim=1)
        return grid.flatten(0, 1), per_row + 1

    def eval_figures(self, datamodule: Any, output_dir: Path, options: Mapping[str, Any]) -> dict[str, Path]:
        """Figure 6: per test image, original | MSE reconstruction (when ``mse_ckpt`` is given) | samples given h.

        Options: ``reconstruction_rows`` (8), ``reconstruction_samples`` per row (4), ``mse_ckpt``, ``seed``.
        """
        rows = int(options.get("reconstruction_rows") or 8)
        per_row = int(options.get("reconstruction_samples") or 4)
        originals = reference_images(datamodule, rows).to(self.device)
        columns = [originals]
        if options.get("mse_ckpt"):
            columns.append(self.mse_baseline(options["mse_ckpt"]).reconstruct(originals))
        cond = originals.repeat_interleave(per_row, 0)  # every sample of a row decodes the same h
        samples = self.sample(len(cond), cond=cond, seed=int(options.get("seed") or 0))
        columns.append(samples.view(len(originals), per_row, *self.image_shape))
        path = save_reconstruction_rows(columns, self.num_levels, Path(output_dir) / "figure6.png")
        return {"figure6": path}

    def mse_baseline(self, ckpt_path: str | Path) -> Any:
        """The MSE auto-encoder of ``ckpt_path``, checked to model images like this one, on this device."""
        from pixelcnn.api import load_model  # the registry imports this module

        baseline = load_model(ckpt_path, map_location=self.device)
        if baseline.kind != "mse_autoencoder":
            raise CheckpointError(f"mse_ckpt={ckpt_path} holds a {baseline.kind} model; pass an mse_autoencoder run")
        if baseline.image_shape != self.image_shape or baseline.num_levels != self.num_levels:
            raise CheckpointError(
                f"mse_ckpt={ckpt_path} models {list(baseline.image_shape)} images with {baseline.num_levels} levels "
                f"but this auto-encoder {list(self.image_shape)} with {self.num_levels}; train both on the same data"
            )
        return baseline
