"""The run's scratch space: one temp folder, large files made in it and read
once so they sit in the page cache, all deleted at the end."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

_BLOCK = 1 << 20
#: The file every small-operations cycle downloads.
SMALL_NAME = "small.bin"


class Workspace:
    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="ferry-bench-"))

    def folder(self, name: str) -> Path:
        path = self.root / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def make_file(path: Path, size: int) -> Path:
    """A file of ``size`` incompressible bytes (one random MiB repeated)."""
    block = os.urandom(_BLOCK)
    with open(path, "wb") as f:
        left = size
        while left:
            n = min(left, _BLOCK)
            f.write(block[:n])
            left -= n
    warm(path)
    return path


def warm(path: Path) -> None:
    """Read the file once so the measurements start from the page cache."""
    with open(path, "rb", buffering=0) as f:
        while f.read(8 * _BLOCK):
            pass


def make_empty_files(folder: Path, count: int) -> None:
    for i in range(count):
        os.close(os.open(folder / f"file-{i:06d}.txt", os.O_WRONLY | os.O_CREAT, 0o644))
