"""sha256 of library files, remembered so repeated ``stat`` calls cost nothing.

The key is the inode plus size and change times: any write, truncate or
replacement changes one of them, so a stale digest is never served.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict

_READ_CHUNK = 1 << 20
_Key = tuple[int, int, int, int, int]


def _key(st: os.stat_result) -> _Key:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


class ChecksumCache:
    def __init__(self, capacity: int = 4096) -> None:
        self._digests: OrderedDict[_Key, str] = OrderedDict()
        self._capacity = capacity
        self._lock = threading.Lock()  # digests are computed on executor threads

    def lookup(self, st: os.stat_result) -> str | None:
        key = _key(st)
        with self._lock:
            digest = self._digests.get(key)
            if digest is not None:
                self._digests.move_to_end(key)
            return digest

    def remember(self, st: os.stat_result, digest: str) -> None:
        key = _key(st)
        with self._lock:
            self._digests[key] = digest
            self._digests.move_to_end(key)
            while len(self._digests) > self._capacity:
                self._digests.popitem(last=False)

    def get(self, fd: int, st: os.stat_result) -> str:
        """The digest of the open file ``fd`` whose stat is ``st``; reads it on a miss."""
        digest = self.lookup(st)
        if digest is None:
            hasher = hashlib.sha256()
            offset = 0
            while chunk := os.pread(fd, _READ_CHUNK, offset):
                hasher.update(chunk)
                offset += len(chunk)
            digest = hasher.hexdigest()
            self.remember(st, digest)
        return digest
