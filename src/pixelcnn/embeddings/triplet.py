"""Triplet loss with batch-hard mining (Hermans et al., 2017) over identity labels, and retrieval accuracy."""

from __future__ import annotations

import torch


def pairwise_distances(embeddings: torch.Tensor) -> torch.Tensor:
    """(N, D) -> (N, N) Euclidean distances, in O(N^2) memory; the epsilon keeps sqrt's gradient finite at 0."""
    norms = embeddings.pow(2).sum(-1)
    squared = (norms[:, None] + norms[None, :] - 2.0 * embeddings @ embeddings.T).clamp_min(0.0)
    return (squared + 1e-12).sqrt()


def batch_hard_triplet_loss(embeddings: torch.Tensor, labels: torch.Tensor, margin: float) -> torch.Tensor:
    """Mean over anchors of relu(d(a, hardest positive) - d(a, hardest negative) + margin).

    embeddings (N, D), labels (N,) identity ids. Anchors without a positive or without a negative in the batch
    are left out; with none left the loss is a zero that still has a gradient path (so training steps run).
    """
    distances = pairwise_distances(embeddings)
    same = labels[:, None] == labels[None, :]
    not_self = ~torch.eye(len(labels), dtype=torch.bool, device=labels.device)
    positive = same & not_self
    negative = ~same
    valid = positive.any(1) & negative.any(1)
    if not valid.any():
        return embeddings.sum() * 0.0
    hardest_positive = distances.masked_fill(~positive, float("-inf")).amax(1)
    hardest_negative = distances.masked_fill(~negative, float("inf")).amin(1)
    losses = torch.relu(hardest_positive - hardest_negative + margin)
    return losses[valid].mean()


def retrieval_accuracy(embeddings: torch.Tensor, labels: torch.Tensor) -> tuple[float, float]:
    """Leave-one-out nearest-neighbour accuracy (does each item's nearest other item share its identity?) and its
    chance level (the expected accuracy of a random neighbour). embeddings (N, D), labels (N,), N >= 2."""
    distances = pairwise_distances(embeddings.float())
    distances.fill_diagonal_(float("inf"))
    nearest = distances.argmin(1)
    accuracy = (labels[nearest] == labels).float().mean().item()
    same = (labels[:, None] == labels[None, :]).float().sum(1) - 1
    chance = (same / (len(labels) - 1)).mean().item()
    return accuracy, chance
