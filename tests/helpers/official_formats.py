"""Small files in each data set's official format, for running the real loaders on them.

- MNIST: ``*-idx?-ubyte.gz`` (big-endian idx: magic, dimensions, uint8 data), served over HTTP from this machine;
- CIFAR-10: ``cifar-10-batches-py/`` python pickles (``data`` (N, 3072) uint8 planar RGB, ``labels``), batches.meta;
- downsampled ImageNet: ``imagenet32/train_data_batch_*.npz``, ``val_data.npz`` (``data`` (N, 3072), labels 1..1000);
- CelebA: ``celeba/img_align_celeba/*.jpg`` and the five list files, with torchvision's headers.

torchvision checks the MD5 sums of the official files; the ``patch_*`` functions point it at these stand-ins.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import hashlib
import pickle
import struct
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

RNG = np.random.default_rng(0)


def idx_bytes(array: np.ndarray) -> bytes:
    magic = struct.pack(">HBB", 0, 0x08, array.ndim)  # 0x08: unsigned byte
    return magic + struct.pack(f">{array.ndim}I", *array.shape) + array.astype(np.uint8).tobytes()


def write_mnist_mirror(folder: Path, train: int = 20, test: int = 8) -> dict[str, str]:
    """The four MNIST .gz files in ``folder``; returns {file name: md5}."""
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {
        "train-images-idx3-ubyte.gz": RNG.integers(0, 256, (train, 28, 28)),
        "train-labels-idx1-ubyte.gz": RNG.integers(0, 10, (train,)),
        "t10k-images-idx3-ubyte.gz": RNG.integers(0, 256, (test, 28, 28)),
        "t10k-labels-idx1-ubyte.gz": RNG.integers(0, 10, (test,)),
    }
    sums = {}
    for name, array in arrays.items():
        (folder / name).write_bytes(gzip.compress(idx_bytes(array)))
        sums[name] = hashlib.md5((folder / name).read_bytes()).hexdigest()
    return sums


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass


@contextlib.contextmanager
def mnist_mirror(monkeypatch: pytest.MonkeyPatch, folder: Path) -> Iterator[None]:
    """MNIST's mirrors replaced by an HTTP server on this machine serving the files of ``write_mnist_mirror``."""
    from torchvision.datasets import MNIST

    sums = write_mnist_mirror(folder)
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setattr(MNIST, "mirrors", [f"http://127.0.0.1:{server.server_address[1]}/"])
    monkeypatch.setattr(MNIST, "resources", list(sums.items()))
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()


def write_cifar10(data_dir: Path, per_batch: int = 6) -> None:
    folder = data_dir / "cifar-10-batches-py"
    folder.mkdir(parents=True, exist_ok=True)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        batch = {
            "data": RNG.integers(0, 256, (per_batch, 3072)).astype(np.uint8),
            "labels": RNG.integers(0, 10, per_batch).tolist(),
        }
        (folder / name).write_bytes(pickle.dumps(batch))
    (folder / "batches.meta").write_bytes(pickle.dumps({"label_names": [f"class{i}" for i in range(10)]}))


def patch_cifar10_checksums(monkeypatch: pytest.MonkeyPatch) -> None:
    from torchvision.datasets import CIFAR10

    monkeypatch.setattr(CIFAR10, "train_list", [[name, None] for name, _ in CIFAR10.train_list])
    monkeypatch.setattr(CIFAR10, "test_list", [[name, None] for name, _ in CIFAR10.test_list])
    monkeypatch.setattr(CIFAR10, "meta", {**CIFAR10.meta, "md5": None})


def write_imagenet32(data_dir: Path, per_batch: int = 8, resolution: int = 32) -> None:
    """``imagenet<resolution>/``: two train batches and the val file (the official 64x64 files have the same form)."""
    folder = data_dir / f"imagenet{resolution}"
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("train_data_batch_1.npz", "train_data_batch_2.npz", "val_data.npz"):
        data = RNG.integers(0, 256, (per_batch, 3 * resolution * resolution)).astype(np.uint8)
        np.savez(folder / name, data=data, labels=RNG.integers(1, 1001, per_batch))


def write_celeba(data_dir: Path, per_split: int = 6) -> None:
    folder = data_dir / "celeba"
    (folder / "img_align_celeba").mkdir(parents=True, exist_ok=True)
    names = [f"{i:06d}.jpg" for i in range(1, 3 * per_split + 1)]
    for name in names:
        Image.fromarray(RNG.integers(0, 256, (218, 178, 3), dtype=np.uint8)).save(folder / "img_align_celeba" / name)
    lines = {
        "list_eval_partition.txt": [f"{n} {i // per_split}" for i, n in enumerate(names)],
        "identity_CelebA.txt": [f"{n} {1 + i % 4}" for i, n in enumerate(names)],
        "list_attr_celeba.txt": [str(len(names)), "Smiling Young"] + [f"{n} 1 -1" for n in names],
        "list_bbox_celeba.txt": [str(len(names)), "image_id x_1 y_1 width height"]
        + [f"{n} 0 0 178 218" for n in names],
        "list_landmarks_align_celeba.txt": [str(len(names)), "lefteye_x lefteye_y"] + [f"{n} 70 110" for n in names],
    }
    for name, rows in lines.items():
        (folder / name).write_text("\n".join(rows) + "\n")


def patch_celeba_checksums(monkeypatch: pytest.MonkeyPatch) -> None:
    from torchvision.datasets import CelebA

    monkeypatch.setattr(CelebA, "file_list", [(gid, None, name) for gid, _, name in CelebA.file_list])
