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


def slot_of(name: str) -> int:
    return zlib.crc32(name.encode("utf-8", "surrogateescape")) % _SLOTS


def record_publish(name: str) -> None:
    """Note that ``name`` has new content, for every worker's listing."""
    slot = slot_of(name)
    _counts[slot] = (_counts[slot] + 1) & 0xFFFFFFFF


def snapshot() -> bytes:
    """All counters now, to compare with a later snapshot."""
    return _counts.tobytes()


#: Snapshots are compared this many slots at a time (a C ``memcmp`` each) before
#: the slots of a differing stretch are looked at one by one.
_STRETCH = 256


def changed_slots(before: bytes, after: bytes) -> frozenset[int]:
    """The slots whose counters differ between two snapshots (usually none or few)."""
    if before == after:
        return frozenset()
    old, new = memoryview(before).cast("I"), memoryview(after).cast("I")
    changed = []
    for start in range(0, _SLOTS, _STRETCH):
        end = start + _STRETCH
        if before[4 * start : 4 * end] != after[4 * start : 4 * end]:
            changed += [slot for slot in range(start, end) if old[slot] != new[slot]]
    return frozenset(changed)
