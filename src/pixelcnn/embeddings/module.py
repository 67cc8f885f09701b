"""The embedder as a LightningModule (``model=triplet_embedder``): trained with a batch-hard triplet loss so that
patches (or portraits) of one identity embed closer together than those of other identities."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from pixelcnn.checkpoints.reader import module_from_checkpoint, read_checkpoint
from pixelcnn.embeddings.network import EmbeddingNetwork
from pixelcnn.embeddings.triplet import batch_hard_triplet_loss, retrieval_accuracy
from pixelcnn.errors import CheckpointError, InputError
from pixelcnn.models.base import TrainableModule
from pixelcnn.nn.modes import eval_mode


class TripletEmbedder(TrainableModule):
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
        eval_items: int = 2048,
        optimizer: Any = None,
        scheduler: Any = None,
    ) -> None:
        super().__init__(image_shape, num_levels, optimizer, scheduler)
        self.embedding_dim = int(embedding_dim)
        self.margin, self.eval_items = float(margin), int(eval_items)
        self.remember(
            backbone_name=str(backbone_name),
            embedding_dim=self.embedding_dim,
            input_size=None if input_size is None else int(input_size),
            margin=self.margin,
            eval_items=self.eval_items,
        )
        self.network = EmbeddingNetwork(
            self.image_shape[0], self.num_levels, backbone_name, self.embedding_dim, input_size, self.image_shape[1:]
        )
        self._outputs: list[tuple[torch.Tensor, torch.Tensor]] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, C, H, W) integer levels -> (B, embedding_dim) unit vectors."""
        self.check_images(x)
        return self.network(x)

    @torch.no_grad()
    def embed(self, x: torch.Tensor, batch_size: int = 256) -> torch.Tensor:
        """Embeddings (N, D) float32 on the CPU of N images, in eval mode, batch by batch."""
        with eval_mode(self):
            chunks = [self(x[i : i + batch_size].to(self.device)).float().cpu() for i in range(0, len(x), batch_size)]
        return torch.cat(chunks) if chunks else torch.zeros(0, self.embedding_dim)

    def step(self, batch: Sequence[torch.Tensor], stage: str) -> torch.Tensor:
        """Train: the batch's triplet loss. Val / test: gathers embeddings for the split-wide metrics."""
        x, identities = batch[0], batch[1]
        embeddings = self(x)
        if stage != "train":
            self._outputs.append((embeddings.detach(), identities.detach()))
            return embeddings.new_zeros(())
        loss = batch_hard_triplet_loss(embeddings, identities, self.margin)
        if not torch.isfinite(loss):
            raise InputError("the triplet loss is not finite; lower model.optimizer.lr or check the images")
        self.log("train/triplet_loss", loss, on_step=True, on_epoch=True, prog_bar=True, batch_size=len(x))
        return loss

    def _log_split(self, stage: str) -> None:
        """Triplet loss and retrieval accuracy over everything the split's steps gathered (a seeded subset)."""
        if not self._outputs:
            return
        embeddings = torch.cat([e for e, _ in self._outputs])
        identities = torch.cat([y for _, y in self._outputs])
        self._outputs.clear()
        if len(embeddings) > self.eval_items:
            keep = torch.randperm(len(embeddings), generator=torch.Generator().manual_seed(0))
            keep = keep[: self.eval_items].to(embeddings.device)
            embeddings, identities = embeddings[keep], identities[keep]
        if len(embeddings) < 2:
            return
        loss = batch_hard_triplet_loss(embeddings, identities, self.margin)
        accuracy, chance = retrieval_accuracy(embeddings, identities)
        self.log(f"{stage}/triplet_loss", loss, prog_bar=True)
        self.log(f"{stage}/retrieval_acc", accuracy, prog_bar=True)
        self.log(f"{stage}/retrieval_chance", chance)

    def on_validation_epoch_end(self) -> None:
        self._log_split("val")

    def on_test_epoch_end(self) -> None:
        self._log_split("test")


def load_embedder(ckpt_path: str | Path, map_location: str | torch.device = "cpu") -> TripletEmbedder:
    """The embedder saved in ``ckpt_path``, in eval mode (``weights_only=True``)."""
    return embedder_from_checkpoint(read_checkpoint(ckpt_path, map_location), ckpt_path, map_location)


def embedder_from_checkpoint(
    checkpoint: dict[str, Any], ckpt_path: str | Path, map_location: str | torch.device = "cpu"
) -> TripletEmbedder:
    module = module_from_checkpoint(checkpoint, ckpt_path, map_location)
    if not isinstance(module, TripletEmbedder):
        raise CheckpointError(
            f"{ckpt_path} is not an embedder checkpoint; pass one written by train.py experiment=portraits_embedder"
        )
    return module
