"""The embedder as a LightningModule (``model=triplet_embedder``): trained with a batch-hard triplet loss so that
patches (or portraits) of one identity embed closer together than those of other identities."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
import torch

from pixelcnn.embeddings.network import EmbeddingNetwork
from pixelcnn.embeddings.triplet import batch_hard_triplet_loss, retrieval_accuracy
from pixelcnn.errors import CheckpointError, InputError
from pixelcnn.models.base import to_plain

EMBEDDER_KIND = "triplet_embedder"


class TripletEmbedder(pl.LightningModule):
    """``embedder(x)``: levels (B, C, H, W) -> unit embeddings (B, embedding_dim). Batches are (x, identity, ...).

    Logs ``train/triplet_loss`` per step and, over the whole val/test split (capped at ``eval_items``),
    ``{val,test}/triplet_loss``, ``{val,test}/retrieval_acc`` (leave-one-out nearest neighbour has the same
    identity) and ``{val,test}/retrieval_chance``. Val and test identities are unseen in training.
    """

    def __init__(
        self,
        image_shape: Sequence[int],
        num_levels: int,
        backbone_name: str = "resnet18",
        embedding_dim: int = 64,
        input_size: int | None = None,
        margin: float = 0.2,
        lr: float = 1e-3,
        weight_decay: float = 0.0,
        eval_items: int = 2048,
    ) -> None:
        super().__init__()
        self.save_hyperparameters(
            to_plain(
                {
                    "image_shape": [int(s) for s in image_shape],
                    "num_levels": int(num_levels),
                    "backbone_name": str(backbone_name),
                    "embedding_dim": int(embedding_dim),
                    "input_size": None if input_size is None else int(input_size),
                    "margin": float(margin),
                    "lr": float(lr),
                    "weight_decay": float(weight_decay),
                    "eval_items": int(eval_items),
                }
            )
        )
        if len(self.hparams.image_shape) != 3:
            raise InputError(f"image_shape must be [C, H, W], got {list(image_shape)}")
        self.image_shape: tuple[int, int, int] = tuple(self.hparams.image_shape)
        self.num_levels = self.hparams.num_levels
        self.embedding_dim = self.hparams.embedding_dim
        self.network = EmbeddingNetwork(
            self.image_shape[0], self.num_levels, backbone_name, embedding_dim, input_size, self.image_shape[1:]
        )
        self._outputs: list[tuple[torch.Tensor, torch.Tensor]] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, C, H, W) integer levels -> (B, embedding_dim) unit vectors."""
        if x.dim() != 4 or tuple(x.shape[1:]) != self.image_shape:
            expected = ", ".join(map(str, self.image_shape))
            raise InputError(f"the embedder takes (B, {expected}) images, got {tuple(x.shape)}")
        return self.network(x)

    @torch.no_grad()
    def embed(self, x: torch.Tensor, batch_size: int = 256) -> torch.Tensor:
        """Embeddings (N, D) float32 on the CPU of N images, in eval mode, batch by batch."""
        was_training = self.training
        self.eval()
        try:
            chunks = [self(x[i : i + batch_size].to(self.device)).float().cpu() for i in range(0, len(x), batch_size)]
        finally:
            self.train(was_training)
        return torch.cat(chunks) if chunks else torch.zeros(0, self.embedding_dim)

    def training_step(self, batch: Sequence[torch.Tensor], batch_idx: int) -> torch.Tensor:
        x, identities = batch[0], batch[1]
        loss = batch_hard_triplet_loss(self(x), identities, self.hparams.margin)
        if not torch.isfinite(loss):
            raise InputError("the triplet loss is not finite; lower model.lr or check the images")
        self.log("train/triplet_loss", loss, on_step=True, on_epoch=True, prog_bar=True, batch_size=len(x))
        return loss

    def validation_step(self, batch: Sequence[torch.Tensor], batch_idx: int) -> None:
        self._outputs.append((self(batch[0]).detach(), batch[1].detach()))

    def test_step(self, batch: Sequence[torch.Tensor], batch_idx: int) -> None:
        self.validation_step(batch, batch_idx)

    def _log_split(self, stage: str) -> None:
        """Triplet loss and retrieval accuracy over everything the split's steps gathered (a seeded subset)."""
        if not self._outputs:
            return
        embeddings = torch.cat([e for e, _ in self._outputs])
        identities = torch.cat([y for _, y in self._outputs])
        self._outputs.clear()
        if len(embeddings) > self.hparams.eval_items:
            keep = torch.randperm(len(embeddings), generator=torch.Generator().manual_seed(0))
            keep = keep[: self.hparams.eval_items].to(embeddings.device)
            embeddings, identities = embeddings[keep], identities[keep]
        if len(embeddings) < 2:
            return
        loss = batch_hard_triplet_loss(embeddings, identities, self.hparams.margin)
        accuracy, chance = retrieval_accuracy(embeddings, identities)
        self.log(f"{stage}/triplet_loss", loss, prog_bar=True)
        self.log(f"{stage}/retrieval_acc", accuracy, prog_bar=True)
        self.log(f"{stage}/retrieval_chance", chance)

    def on_validation_epoch_end(self) -> None:
        self._log_split("val")

    def on_test_epoch_end(self) -> None:
        self._log_split("test")

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.Adam(self.parameters(), lr=self.hparams.lr, weight_decay=self.hparams.weight_decay)

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        checkpoint["embedder_kind"] = EMBEDDER_KIND


def load_embedder(ckpt_path: str | Path, map_location: str | torch.device = "cpu") -> TripletEmbedder:
    """The embedder saved in ``ckpt_path``, in eval mode (``weights_only=True``)."""
    from pixelcnn.api import read_checkpoint

    checkpoint = read_checkpoint(ckpt_path, map_location)
    return embedder_from_checkpoint(checkpoint, ckpt_path, map_location)


def embedder_from_checkpoint(
    checkpoint: dict[str, Any], ckpt_path: str | Path, map_location: str | torch.device = "cpu"
) -> TripletEmbedder:
    if checkpoint.get("embedder_kind") != EMBEDDER_KIND:
        raise CheckpointError(
            f"{ckpt_path} is not an embedder checkpoint; pass one written by train.py experiment=portraits_embedder"
        )
    model = TripletEmbedder(**checkpoint.get("hyper_parameters", {}))
    try:
        model.load_state_dict(checkpoint["state_dict"])
    except RuntimeError as error:
        raise CheckpointError(f"{ckpt_path}: weights do not fit the embedder ({str(error)[:200]})") from error
    return model.to(map_location).eval()
