"""The ``upload_id`` of each interrupted upload (PROTOCOL.md 7.4), so that a later
``put(..., resume=True)`` of the same file continues it.

A record is keyed by the server, the remote path and the local file's identity
(device, inode, size, mtime in nanoseconds): a local file that changed since,
or another file put in its place, has another key and starts afresh, so the
server is never asked to glue two versions together. A record holds only the
id; the server decides how many bytes it still has (``ready``'s ``offset``).
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

from .state_records import RecordFolder, state_folder

_UPLOAD_ID = re.compile(r"[0-9a-f]{32}")


class UploadRecords:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._records = RecordFolder(folder)

    @staticmethod
    def _key(origin: str, remote: str, local: os.stat_result) -> list[object]:
        return [origin, remote, local.st_dev, local.st_ino, local.st_size, local.st_mtime_ns]

    def upload_id(self, origin: str, remote: str, local: os.stat_result) -> str:
        """The recorded id of this upload, or a new one, recorded before the first
        byte goes: an upload cut off at any point can be continued."""
        key = self._key(origin, remote, local)
        record = self._records.read(key)
        recorded = record.get("upload_id") if record is not None else None
        if isinstance(recorded, str) and _UPLOAD_ID.fullmatch(recorded):
            return recorded
        upload_id = secrets.token_hex(16)
        self._records.save(key, {"upload_id": upload_id})
        return upload_id

    def forget(self, origin: str, remote: str, local: os.stat_result) -> None:
        """The upload succeeded: nothing is left to continue."""
        self._records.remove(self._key(origin, remote, local))


def default_upload_records() -> UploadRecords:
    """This user's records: ``ferry/partial-uploads`` in the state folder."""
    return UploadRecords(state_folder("partial-uploads"))
