"""The page's requests about the library: a folder's listing as JSON, and the
changes (``POST`` mkdir and rename, ``DELETE``), each one call of the
:class:`~server.storage.Library` that the native ``mkdir``, ``rename`` and
``delete`` make, refused in the same cases (``--read-only``, ``--no-delete``).

``POST /path`` takes a JSON object: ``{"op": "mkdir"}`` makes the folder
``path``, ``{"op": "rename", "to": "new/path", "overwrite": false}`` moves it.
``DELETE /path`` deletes a file or an empty folder, ``DELETE /path/?recursive``
a folder and everything in it.
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

from ferry_files.shared.errors import ErrorCode, FerryError

from ..storage import Library

if TYPE_CHECKING:
    from .request import HttpRequest
    from .session import WebSession

#: An action's JSON body is a few names: anything larger is not one.
MAX_ACTION_BYTES = 64 * 1024
_KIND = {"file": "file", "dir": "folder"}


async def listing(session: WebSession, request: HttpRequest) -> None:
    """``{"path": ..., "entries": [{"name", "type": "file"|"folder", "size", "mtime"}]}``,
    from a fresh pass over the folder, as a Ferry ``list`` with ``folders``."""
    library, path = session.context.library, request.target.path
    with session.context.fds.holding(library.list_fds_needed(path, False)):
        body = await asyncio.get_running_loop().run_in_executor(None, _listing_json, library, path)
    await session.send_bytes(200, body, b"application/json")


def _listing_json(library: Library, path: str) -> bytes:
    """The pass and the JSON, on a thread: a large folder's costs the loop nothing."""
    _, body = library.list_folder(path, folders=True, recursive=False)
    entries = []
    for line in body.splitlines():
        entry = json.loads(line)
        entry["type"] = _KIND[entry["type"]]
        entries.append(entry)
    return json.dumps({"path": path, "entries": entries}, ensure_ascii=False).encode()


async def change(session: WebSession, request: HttpRequest) -> None:
    action = _action(await session.read_small_body(MAX_ACTION_BYTES))
    config, library, path = session.context.config, session.context.library, request.target.path
    if config.read_only:
        raise FerryError(ErrorCode.READ_ONLY, "this server is read-only")
    op = action.get("op")
    if op == "mkdir":
        await _run(session, 0, library.mkdir, path, bool(action.get("parents")))
        await session.send_json(201, {"ok": True, "path": path})
    elif op == "rename":
        to = action.get("to")
        if not isinstance(to, str):
            raise FerryError(ErrorCode.BAD_REQUEST, "'to' must be the new path")
        if config.no_delete:
            raise FerryError(ErrorCode.FORBIDDEN, "this server does not rename files")
        to = to.strip("/")
        await _run(session, 7, library.rename, path, to, bool(action.get("overwrite")))
        await session.send_json(200, {"ok": True, "from": path, "to": to})
    else:
        raise FerryError(ErrorCode.BAD_REQUEST, "'op' must be 'mkdir' or 'rename'")


async def delete(session: WebSession, request: HttpRequest) -> None:
    config = session.context.config
    if config.read_only:
        raise FerryError(ErrorCode.READ_ONLY, "this server is read-only")
    if config.no_delete:
        raise FerryError(ErrorCode.FORBIDDEN, "this server does not delete files")
    await _run(session, 2, session.context.library.delete, request.target.path, request.target.flag("recursive"))
    await session.send_json(200, {"ok": True, "path": request.target.path})


def _action(body: bytes) -> dict[str, Any]:
    try:
        action = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        action = None
    if not isinstance(action, dict):
        raise FerryError(ErrorCode.BAD_REQUEST, "the body must be a JSON object with 'op'")
    return action


async def _run(session: WebSession, fds: int, call: Any, *args: Any) -> None:
    """A change on the thread pool (each folder fsynced), as the native session runs it."""
    with session.context.fds.holding(fds):
        await asyncio.get_running_loop().run_in_executor(None, call, *args)
