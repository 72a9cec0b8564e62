"""What ``list`` and ``stat`` print: a table or a block for people, JSON or bare
names for scripts.

The table, the block and the bare names escape names (see
:mod:`shared.escaping`), so that each name is one harmless line; the JSON forms
are ASCII-only JSON, so they are exact and still harmless on a terminal.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from ferry_files.shared.client import RemoteFile, RemoteStat
from ferry_files.shared.escaping import escape_name, escape_text

from .formatting import human_size, local_time


def file_table(files: list[RemoteFile]) -> str:
    """``ls -l`` style: size and time first, the name last, so long names need no
    column width; a last line with the count and the total size."""
    if not files:
        return "No files.\n"
    sizes = [human_size(f.size) for f in files]
    size_width = max(len("SIZE"), *(len(s) for s in sizes))
    times = [local_time(f.mtime) for f in files]
    time_width = max(len("MODIFIED"), *(len(t) for t in times))
    lines = [f"{'SIZE':>{size_width}}  {'MODIFIED':<{time_width}}  NAME"]
    for file, size, mtime in zip(files, sizes, times, strict=True):
        lines.append(f"{size:>{size_width}}  {mtime:<{time_width}}  {escape_name(file.name)}")
    count = f"{len(files)} file" + ("" if len(files) == 1 else "s")
    lines.append(f"{count}, {human_size(sum(f.size for f in files))}")
    return "\n".join(lines) + "\n"


def file_names(files: Iterable[RemoteFile]) -> str:
    """One name per line. Escaped like the table: U+2028 or NEL would split a raw
    name over lines, a C1 control drive the terminal; ``--json`` is exact."""
    return "".join(f"{escape_name(f.name)}\n" for f in files)


def files_json(files: Iterable[RemoteFile]) -> str:
    return json.dumps([{"name": f.name, "size": f.size, "mtime": f.mtime} for f in files]) + "\n"


def stat_block(stat: RemoteStat) -> str:
    rows = [
        ("name", escape_name(stat.name)),
        ("size", f"{human_size(stat.size)} ({stat.size:,} bytes)" if stat.size >= 1024 else human_size(stat.size)),
        ("modified", local_time(stat.mtime, seconds=True)),
        ("sha256", escape_text(stat.sha256)),
    ]
    return "".join(f"{key + ':':<10}{value}\n" for key, value in rows)


def stat_json(stat: RemoteStat) -> str:
    return json.dumps({"name": stat.name, "size": stat.size, "mtime": stat.mtime, "sha256": stat.sha256}) + "\n"
