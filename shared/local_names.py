"""Turning a name a server sent into a safe local path, and telling which local
names are one and the same in a destination folder.

Names from a server are untrusted (PROTOCOL.md section 4): a client never writes
outside the folder the user chose. A valid protocol name is already a single path
component; this module also keeps it legal on Windows and refuses anything else.

Two different remote names can still be one local file: ``CON`` and ``_CON``
(a device name is saved with a ``_``) on every system, ``Report.txt`` and
``report.txt`` in a folder that ignores case (Windows, macOS), ``café.txt``
written NFC and NFD in one that ignores Unicode normalization (macOS). One
download would silently replace the other, so clients compare names by the
destination's :class:`DestinationRules`, which :func:`destination_rules` finds
by probing the folder.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import sys
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from .errors import ErrorCode, FerryError
from .names import name_problem

#: Windows device names: a name is one whatever its extension, and with spaces
#: before it (``nul .txt``, ``COM1 .txt``) -- the rule of Python 3.13's ntpath.isreserved.
_WINDOWS_DEVICES = frozenset(
    ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"] + [f"{kind}{n}" for kind in ("COM", "LPT") for n in "0123456789¹²³"]
)
_WINDOWS_FORBIDDEN = re.compile(r'[<>:"|?*]')


def safe_local_name(name: str) -> str:
    """A local file name for remote ``name``; ``bad_name`` if it is not a valid
    protocol name (so it can never contain a separator or ``..``)."""
    problem = name_problem(name)
    if problem is not None:
        raise FerryError(ErrorCode.BAD_NAME, f"refusing the name {name[:60]!r}: {problem}")
    local = _WINDOWS_FORBIDDEN.sub("_", name).rstrip(" .") or "_"
    if local.partition(".")[0].rstrip(" ").upper() in _WINDOWS_DEVICES:
        local = "_" + local
    return local


def local_path(directory: str | os.PathLike[str], name: str) -> Path:
    """``directory / safe_local_name(name)``, checked to stay inside ``directory``."""
    return local_path_in(Path(directory).resolve(), name)


def local_path_in(base: Path, name: str) -> Path:
    """:func:`local_path` in ``base``, a folder resolved already: a batch of
    20,000 files resolves its folder once, not four ``lstat`` calls per file."""
    local = safe_local_name(name)
    path = base / local
    # Unreachable for a valid name; kept as the last line of defence. (Not
    # ``path.parent != base``: a new Path per file, a tenth of a batch's cost.)
    if path.name != local or local in (".", ".."):
        raise FerryError(ErrorCode.BAD_NAME, f"refusing the name {name[:60]!r}")
    return path


def numbered_name(name: str, is_taken: Callable[[str], bool]) -> str:
    """``name (1).ext``, ``name (2).ext``... the first one not taken: the
    "keep both" answer to a name conflict."""
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem:
        stem, ext, dot = name, "", ""
    for number in range(1, 100_000):
        candidate = f"{stem} ({number}){dot}{ext}"
        if not is_taken(candidate):
            return candidate
    raise FerryError(ErrorCode.EXISTS, f"no free name like {name!r}")


@dataclass(frozen=True)
class DestinationRules:
    """When two different names are one file in a destination folder."""

    case_insensitive: bool = False
    normalization_insensitive: bool = False  # NFC and NFD forms of a name

    def key(self, name: str) -> str:
        """Equal for exactly the names the folder takes for one another. Case is
        compared by ``casefold`` (Unicode's caseless matching), which may find a
        twin the file system would not: asking once too often is the safe side."""
        if self.case_insensitive and self.normalization_insensitive:
            return unicodedata.normalize("NFD", unicodedata.normalize("NFD", name).casefold())
        if self.case_insensitive:
            return name.casefold()
        if self.normalization_insensitive:
            return unicodedata.normalize("NFD", name)
        return name

    @staticmethod
    def why_same(name: str, other: str) -> str:
        """What the folder ignores that makes two different names one ("ignores
        case"...), for a message; "" when they are not different."""
        if name == other:
            return ""
        if unicodedata.normalize("NFC", name) == unicodedata.normalize("NFC", other):
            return "ignores Unicode normalization"
        if name.casefold() == other.casefold():
            return "ignores case"
        return "ignores case and Unicode normalization"


CASE_SENSITIVE = DestinationRules()


def destination_rules(folder: str | os.PathLike[str]) -> DestinationRules:
    """The rules of ``folder``'s file system, found by creating a probe file named
    with a lower-case NFC ``é`` and looking for its upper-case and NFD twins.
    When the folder cannot be written: the system's usual file system's rules."""
    name = f".ferry-probe-{secrets.token_hex(8)}-\u00e9"
    probe = Path(folder) / name
    try:
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600))
    except (OSError, UnicodeError):
        return _SYSTEM_DEFAULT
    try:
        return DestinationRules(
            case_insensitive=os.path.lexists(probe.with_name(name.swapcase())),
            normalization_insensitive=os.path.lexists(probe.with_name(unicodedata.normalize("NFD", name))),
        )
    finally:
        with contextlib.suppress(OSError):
            os.unlink(probe)


#: NTFS ignores case; APFS and HFS+ ignore case and normalization; Linux's file systems neither.
_SYSTEM_DEFAULT = {
    "win32": DestinationRules(case_insensitive=True),
    "darwin": DestinationRules(case_insensitive=True, normalization_insensitive=True),
}.get(sys.platform, CASE_SENSITIVE)


@dataclass(frozen=True)
class Clash:
    """The name a new local name would be one file with."""

    other: str
    in_batch: bool  # an earlier name of the same batch, not a file already there


class FolderNames:
    """The names taken in one destination: the files there, and the names a batch
    of transfers claims one by one, compared by the destination's rules."""

    def __init__(self, rules: DestinationRules, existing: Callable[[str], str | None]) -> None:
        """``existing``: the name of the file there with a given :meth:`DestinationRules.key`, or None."""
        self.rules = rules
        self._existing = existing
        self._claimed: dict[str, str] = {}

    @classmethod
    def listing(cls, rules: DestinationRules, names: Iterable[str]) -> FolderNames:
        """A destination that holds ``names``."""
        return cls(rules, {rules.key(name): name for name in names}.get)

    @classmethod
    def of(cls, folder: str | os.PathLike[str], rules: DestinationRules | None = None) -> FolderNames:
        """The names in ``folder`` now, by ``rules`` (default: probed)."""
        try:
            existing = os.listdir(folder)
        except OSError:
            existing = []
        return cls.listing(rules or destination_rules(folder), existing)

    def clash(self, name: str) -> Clash | None:
        """What ``name`` would be one file with: a name claimed earlier in the
        batch, or a file already there (which may be ``name`` itself); None if free."""
        key = self.rules.key(name)
        if key in self._claimed:
            return Clash(self._claimed[key], in_batch=True)
        existing = self._existing(key)
        return None if existing is None else Clash(existing, in_batch=False)

    def claim(self, name: str) -> None:
        self._claimed[self.rules.key(name)] = name

    def free_variant(self, name: str) -> str:
        """``name (1).ext``... the first numbered form of ``name`` that clashes with nothing."""
        return numbered_name(name, lambda candidate: self.clash(candidate) is not None)
