"""``GET /folder/?zip``: the folder and everything under it as one zip, written
as it is sent: no temp file, no length known ahead (a chunked body).

``zipfile`` writes to a stream it cannot seek (it puts each entry's sizes and
CRC in a data descriptor after its bytes), entries are stored, not compressed
(photos and videos do not shrink, and the CPU stays free), and zip64 is used
for any entry that may pass 4 GiB and, by zipfile itself, when the archive
passes 65,535 entries or 4 GiB of offsets. The tree is the library's own
recursive listing (no symlink, no dotfile), each file opened through the
library as a download is. A file removed between the listing and its turn is
left out; one that changes meanwhile goes in as it is read.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
import zipfile
from functools import partial
from typing import TYPE_CHECKING
from urllib.parse import quote

from ferry_files.shared.errors import FerryError

from ..deadlines import State

if TYPE_CHECKING:
    from .request import HttpRequest
    from .session import WebSession

#: Bytes read from a file per write to the archive (and per HTTP chunk).
CHUNK = 256 * 1024
_EARLIEST = (1980, 1, 1, 0, 0, 0)  # zip cannot date anything before


class _Sink:
    """What zipfile writes to: kept until the session sends it. No ``tell`` or
    ``seek``, so zipfile treats it as the stream it is."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data, self.parts = b"".join(self.parts), []
        return data


def _date(mtime: float) -> tuple[int, int, int, int, int, int]:
    return max(_EARLIEST, time.localtime(mtime)[:6])


async def serve(session: WebSession, request: HttpRequest) -> None:
    library, path = session.context.library, request.target.path
    with session.context.fds.holding(library.list_fds_needed(path, True)):
        walk = partial(library.list_folder, path, folders=True, recursive=True)
        _, body = await asyncio.get_running_loop().run_in_executor(None, walk)
    entries = [json.loads(line) for line in body.splitlines()]
    name = (path.rsplit("/", 1)[-1] if path else "library") + ".zip"
    headers = [
        (b"content-type", b"application/zip"),
        (b"content-disposition", f"attachment; filename*=UTF-8''{quote(name, safe='')}".encode()),
        (b"cache-control", b"no-store"),
    ]
    await session.start_response(200, headers, None)
    if not session.head:
        session.state = State.BODY  # a client that stops reading is timed out as on any download
        sink = _Sink()
        with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
            for entry in entries:
                if entry["type"] == "dir":
                    archive.writestr(zipfile.ZipInfo(entry["name"] + "/", _date(entry["mtime"])), b"")
                else:
                    await _add_file(session, archive, sink, f"{path}/{entry['name']}" if path else entry["name"], entry["name"])
        await session.send_data(sink.take())
    await session.finish()


async def _add_file(session: WebSession, archive: zipfile.ZipFile, sink: _Sink, path: str, name: str) -> None:
    with session.context.fds.holding(1):
        try:
            opened = session.context.library.open_file(path)
        except FerryError:
            return  # removed (or replaced by a folder) since the listing
        try:
            info = zipfile.ZipInfo(name, _date(opened.mtime))
            info.file_size = opened.size  # zipfile chooses zip64 from it
            with archive.open(info, "w") as member:
                position = 0
                while position < opened.size:
                    block = os.pread(opened.fd, min(CHUNK, opened.size - position), position)
                    if not block:
                        break  # shrank meanwhile: the entry has what was there
                    member.write(block)
                    position += len(block)
                    await session.send_data(sink.take())
        finally:
            opened.close()
