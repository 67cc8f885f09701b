"""Evaluation loaders under DDP: every image exactly once over all ranks (Lightning's UnrepeatedDistributedSampler),
with the ranks known from the trainer before its processes are launched (eval.py builds its loaders then)."""

from __future__ import annotations

import pytest
import pytorch_lightning as pl
from torch.utils.data import DistributedSampler

from pixelcnn.data import DigitsDataModule
from pixelcnn.data.samplers import evaluation_sampler
from pixelcnn.errors import DataValidationError


def ddp_trainer(world: int) -> pl.Trainer:
    return pl.Trainer(accelerator="cpu", devices=world, strategy="ddp", logger=False, enable_progress_bar=False)


@pytest.mark.parametrize("world", [2, 3])
def test_each_image_is_read_once_over_all_ranks(world: int, monkeypatch: pytest.MonkeyPatch) -> None:
    data = DigitsDataModule(image_shape=[1, 8, 8], num_levels=17, num_classes=10, eval_batch_size=8, seed=0)
    seen = []
    for rank in range(world):
        monkeypatch.setenv("LOCAL_RANK", str(rank))  # what Lightning's launcher gives each process it starts
        loader = data.eval_dataloader("test", ddp_trainer(world))
        assert isinstance(loader.sampler, DistributedSampler)  # so Lightning keeps it instead of padding
        seen.append(list(loader.sampler))
    test_images = len(data.datasets["test"])
    assert sorted(i for part in seen for i in part) == list(range(test_images))  # nothing repeated, nothing lost
    assert max(map(len, seen)) - min(map(len, seen)) <= 1


def test_one_process_reads_every_image_in_order() -> None:
    data = DigitsDataModule(image_shape=[1, 8, 8], num_levels=17, num_classes=10, seed=0)
    assert list(data.eval_dataloader("val").sampler) == list(range(len(data.datasets["val"])))


def test_fewer_images_than_processes_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(DataValidationError, match="2 images cannot be split over 3 processes"):
        evaluation_sampler(range(2), ddp_trainer(3))
