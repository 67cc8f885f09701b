"""Offline stand-in for portraits with identities: crops of the shipped natural images, the source image being
the identity. Val and test images are identities never seen in training."""

from __future__ import annotations

from pixelcnn.data.arrays import ImageArrayDataset
from pixelcnn.data.patches import PatchesDataModule


class TexturesDataModule(PatchesDataModule):
    """``PatchesDataModule`` whose labels are identities numbered across splits: train images are 0..n-1, then
    val's, then test's, so an identity id names one source image everywhere (e.g. in an exported file)."""

    name = "textures"

    def load_splits(self) -> dict[str, ImageArrayDataset]:
        datasets = super().load_splits()
        offset = 0
        for split in ("train", "val", "test"):
            datasets[split].labels += offset
            offset += len(self.image_lists[split])
        return datasets
