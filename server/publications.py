"""Which names uploads have published, as counters shared by every worker.

A worker's ``list`` cache trusts a file's inode number to tell whether it changed;
a deleted file's number can be reused for a new file of the same name, so every
publish also bumps that name's counter here. The counters live in an anonymous
shared mapping created when the parent imports this module, before it forks: all
workers see one array, with no file and no locking (a lost increment among
racing writers still changes the value). Names that share a slot only cost an
extra ``lstat``.
"""

from __future__ import annotations

import mmap
import zlib

_SLOTS = 1 << 14
_counts = memoryview(mmap.mmap(-1, 4 * _SLOTS)).cast("I")


def _slot(name: str) -> int:
    return zlib.crc32(name.encode("utf-8", "surrogateescape")) % _SLOTS


def record_publish(name: str) -> None:
    """Note that ``name`` has new content, for every worker's listing."""
    slot = _slot(name)
    _counts[slot] = (_counts[slot] + 1) & 0xFFFFFFFF


def publish_count(name: str) -> int:
    return _counts[_slot(name)]
