"""What ``ls`` and ``stat`` print: a table or a block for people, JSON or bare
names for scripts.

The table, the block and the bare names escape names (see
:mod:`shared.escaping`), so that each name is one harmless line; the JSON forms
are ASCII-only JSON, one object per line, so they are exact and still harmless
on a terminal.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from ferry_files.shared.client import RemoteFile, RemoteFolder, RemoteStat
from ferry_files.shared.escaping import escape_name, escape_text

from .formatting import human_size, local_time

Entry = RemoteFile | RemoteFolder
#: The size column of a folder, which has no size.
FOLDER_SIZE = "-"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def shown_name(entry: Entry) -> str:
    """An entry's name as a person sees it: escaped, a folder's with a ``/``."""
    return escape_name(entry.name) + ("/" if isinstance(entry, RemoteFolder) else "")


def file_table(entries: Sequence[Entry]) -> str:
    """``ls -l`` style: size and time first, the name last, so long names need no
    column width; a last line with the count and the total size."""
    if not entries:
        return "No files.\n"
    sizes = [human_size(e.size) if isinstance(e, RemoteFile) else FOLDER_SIZE for e in entries]
    size_width = max(len("SIZE"), *(len(s) for s in sizes))
    times = [local_time(e.mtime) for e in entries]
    time_width = max(len("MODIFIED"), *(len(t) for t in times))
    lines = [f"{'SIZE':>{size_width}}  {'MODIFIED':<{time_width}}  NAME"]
    for entry, size, mtime in zip(entries, sizes, times, strict=True):
        lines.append(f"{size:>{size_width}}  {mtime:<{time_width}}  {shown_name(entry)}")
    files = [e for e in entries if isinstance(e, RemoteFile)]
    folders = len(entries) - len(files)
    count = f"{_plural(len(files), 'file')}, {human_size(sum(f.size for f in files))}"
    lines.append(count + (f", {_plural(folders, 'folder')}" if folders else ""))
    return "\n".join(lines) + "\n"


def file_names(entries: Iterable[Entry]) -> str:
    """One name per line, a folder's ending in ``/``. Escaped like the table:
    U+2028 or NEL would split a raw name over lines, a C1 control drive the
    terminal; ``--json`` is exact."""
    return "".join(f"{shown_name(e)}\n" for e in entries)


def entry_record(entry: Entry) -> dict[str, object]:
    if isinstance(entry, RemoteFolder):
        return {"name": entry.name, "type": "folder", "mtime": entry.mtime}
    return {"name": entry.name, "type": "file", "size": entry.size, "mtime": entry.mtime}


def files_json(entries: Iterable[Entry]) -> str:
    """One JSON object per line: ``{name, type, size, mtime}`` (a folder has no size)."""
    return "".join(json.dumps(entry_record(e)) + "\n" for e in entries)


def stat_block(stat: RemoteStat) -> str:
    rows = [
        ("name", escape_name(stat.name)),
        ("size", f"{human_size(stat.size)} ({stat.size:,} bytes)" if stat.size >= 1024 else human_size(stat.size)),
        ("modified", local_time(stat.mtime, seconds=True)),
        ("sha256", escape_text(stat.sha256)),
    ]
    return "".join(f"{key + ':':<10}{value}\n" for key, value in rows)


def folder_block(folder: RemoteFolder) -> str:
    rows = [("name", escape_name(folder.name) + "/"), ("type", "folder"), ("modified", local_time(folder.mtime, seconds=True))]
    return "".join(f"{key + ':':<10}{value}\n" for key, value in rows)


def stat_json(stat: RemoteStat) -> str:
    return json.dumps({"name": stat.name, "type": "file", "size": stat.size, "mtime": stat.mtime, "sha256": stat.sha256}) + "\n"
