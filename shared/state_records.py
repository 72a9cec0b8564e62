"""Small JSON records in the user's state folder, one file per key.

What the client remembers between runs to continue a transfer: unfinished
downloads (partial_downloads.py) and interrupted uploads' ids (upload_records.py).
A record's file name is a hash of its key, so any key (remote paths, local paths
in any encoding) makes a short, safe name. A record is written to a staging
file and renamed into place, so a reader never sees half of one, and
:meth:`RecordFolder.take` removes it as it reads it, so two clients never act
on the same record.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
from pathlib import Path
from typing import Any

from .user_folders import user_folder

#: A record is a few hundred bytes; anything larger is not one of ours.
MAX_RECORD = 64 * 1024


def state_folder(name: str) -> Path:
    """``ferry/<name>`` in this user's state folder (``$XDG_STATE_HOME``,
    ``~/.local/state`` on Linux; see user_folders.py for the other systems)."""
    return user_folder("state") / name


class RecordFolder:
    """JSON objects stored under keys (lists of strings and numbers) in one folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path(self, key: list[Any]) -> Path:
        encoded = json.dumps(key).encode("utf-8", "surrogatepass")
        return self.folder / (hashlib.sha256(encoded).hexdigest()[:40] + ".json")

    def read(self, key: list[Any]) -> dict[str, Any] | None:
        """The record under ``key``, left in place; None if there is none or it is not a JSON object."""
        try:
            with open(self.path(key), "rb") as f:
                raw = f.read(MAX_RECORD)
        except OSError:
            return None
        return _object(raw)

    def take(self, key: list[Any]) -> dict[str, Any] | None:
        """The record under ``key``, removed; None if there is none (or another client took it first)."""
        path = self.path(key)
        try:
            with open(path, "rb") as f:
                raw = f.read(MAX_RECORD)
            os.unlink(path)
        except OSError:
            return None
        return _object(raw)

    def save(self, key: list[Any], record: dict[str, Any]) -> bool:
        """Store ``record`` under ``key``; False if the state folder cannot be written."""
        path = self.path(key)
        staging = path.with_name(f".{path.stem}-{secrets.token_hex(4)}.tmp")
        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            with open(staging, "x", encoding="utf-8") as f:
                json.dump(record, f)
            os.replace(staging, path)
        except (OSError, ValueError):
            with contextlib.suppress(OSError):
                os.unlink(staging)
            return False
        return True

    def remove(self, key: list[Any]) -> None:
        with contextlib.suppress(OSError):
            os.unlink(self.path(key))


def _object(raw: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
