"""Helpers for the hardening matrix (issue 5): what a row checks after its fault.

Every row ends the same way: nothing half-done is visible, no temp file is
left, and the server still answers a fresh client.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from tests.server_process import children_of, wait_for
from tests.wire import Wire

#: The error codes of PROTOCOL.md section 5.
ERROR_CODES = {
    "bad_request",
    "unknown_op",
    "header_too_large",
    "unauthorized",
    "bad_name",
    "not_found",
    "exists",
    "too_large",
    "no_space",
    "checksum_mismatch",
    "read_only",
    "io_error",
    "busy",
    "timeout",
    "internal",
}


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def listing(wire: Wire) -> list[dict]:
    response = wire.request({"op": "list"})
    assert response["ok"] is True, response
    entries = [json.loads(line) for line in wire.body(response["length"]).splitlines()]
    assert len(entries) == response["count"]
    return entries


def upload(wire: Wire, name: str, data: bytes, **fields) -> dict:
    ready = wire.request({"op": "put", "name": name, "size": len(data), **fields})
    assert ready == {"ok": True, "ready": True}, ready
    wire.send(data)
    return wire.header()


def visible(library: Path) -> list[str]:
    """Names in the library a client could ever see (no dotfiles)."""
    return sorted(n for n in os.listdir(library) if not n.startswith("."))


def temp_files(library: Path) -> list[str]:
    return os.listdir(library / ".ferry-uploads")


def no_temp_files(library: Path, timeout: float = 5.0) -> bool:
    """Aborts run when the worker notices the end, a moment after the client's."""
    return wait_for(lambda: temp_files(library) == [], timeout=timeout)


def still_serving(address: tuple[str, int]) -> bool:
    """A fresh client gets a greeting and an answer to ``list``."""
    with Wire(address, timeout=10) as wire:
        assert wire.greeting is not None and wire.greeting.get("ferry") == 1, wire.greeting
        return wire.request({"op": "list"})["ok"] is True


def greets(address: tuple[str, int]) -> bool:
    """Does a fresh client get the greeting (not ``busy``) and an answer to ``list``?
    For polling with wait_for while earlier sessions are still closing."""
    with Wire(address, timeout=10, greet=False) as wire:
        if wire.header().get("ferry") != 1:
            return False
        return wire.request({"op": "list"})["ok"] is True


def assert_valid_response(header: object) -> None:
    """A response as PROTOCOL.md section 2 shapes it."""
    assert isinstance(header, dict), header
    assert type(header.get("ok")) is bool, header
    if not header["ok"]:
        assert header.get("error") in ERROR_CODES, header
        assert isinstance(header.get("message"), str), header


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of ``pid`` and its children (the workers), from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for p in [pid, *children_of(pid)]:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime (fields 14 and 15)
    return total
