"""Read an offline W&B run (``run-<id>.wandb``) back: history rows, config, tags, artifacts.

The file is a LevelDB-style log (a 7-byte file header, then 32 KiB blocks of records, each a 7-byte header:
crc32, length (uint16 LE), type FULL/FIRST/MIDDLE/LAST) whose payloads are ``wandb_internal_pb2.Record``s.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BLOCK = 32768
HEADER = 7
FULL, FIRST, MIDDLE, LAST = 1, 2, 3, 4


@dataclass
class OfflineRun:
    history: list[dict[str, Any]] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    artifacts: list[dict[str, Any]] = field(default_factory=list)
    run_id: str = ""
    name: str = ""
    group: str = ""
    job_type: str = ""

    def steps(self, key: str) -> list[int]:
        """The ``trainer/global_step`` of every row that logged ``key``."""
        return [row["trainer/global_step"] for row in self.history if key in row]

    def values(self, key: str) -> list[Any]:
        """Every logged value of ``key``, in order."""
        return [row[key] for row in self.history if key in row]


def record_payloads(data: bytes) -> list[bytes]:
    payloads, pending, pos = [], b"", HEADER
    while pos + HEADER <= len(data):
        left = BLOCK - pos % BLOCK
        if left < HEADER:  # a block's tail too short for a header is padding
            pos += left
            continue
        _, length, kind = struct.unpack("<IHB", data[pos : pos + HEADER])
        pos += HEADER
        if kind == 0:
            break
        pending += data[pos : pos + length]
        pos += length
        if kind in (FULL, LAST):
            payloads.append(pending)
            pending = b""
    return payloads


def item_key(item: Any) -> str:
    return item.key or "/".join(item.nested_key)


def read_offline_run(run_dir: Path) -> OfflineRun:
    """``run_dir``: a ``wandb/offline-run-*`` folder."""
    from wandb.proto import wandb_internal_pb2 as pb

    (path,) = Path(run_dir).glob("run-*.wandb")
    run = OfflineRun()
    for payload in record_payloads(path.read_bytes()):
        record = pb.Record()
        record.ParseFromString(payload)
        kind = record.WhichOneof("record_type")
        if kind == "history":
            run.history.append({item_key(i): json.loads(i.value_json) for i in record.history.item})
        elif kind == "run":
            run.tags = list(record.run.tags)
            run.run_id, run.name = record.run.run_id, record.run.display_name
            run.group, run.job_type = record.run.run_group, record.run.job_type
            run.config.update({item_key(i): json.loads(i.value_json) for i in record.run.config.update})
        elif kind == "config":
            run.config.update({item_key(i): json.loads(i.value_json) for i in record.config.update})
        elif kind == "artifact":
            files = [entry.path for entry in record.artifact.manifest.contents]
            local_paths = [entry.local_path for entry in record.artifact.manifest.contents]
            run.artifacts.append(
                {
                    "name": record.artifact.name,
                    "type": record.artifact.type,
                    "aliases": list(record.artifact.aliases),
                    "files": files,
                    "local_paths": local_paths,
                }
            )
    return run
