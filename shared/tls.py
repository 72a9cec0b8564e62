"""TLS for clients: verification against a CA file, or trust on first use.

A self-signed LAN server has no CA to check it against, so, like SSH with
known_hosts, the client remembers the certificate's SHA-256 fingerprint the
first time it connects and refuses, loudly, a different one later.
"""

from __future__ import annotations

import hashlib
import os
import re
import ssl
import stat
from dataclasses import dataclass
from pathlib import Path

from .errors import FerryError
from .user_folders import user_folder


def default_known_servers() -> Path:
    """``known_servers`` in this user's config folder (user_folders.py). Pins made
    before Ferry used each system's own folder lie in ``~/.config/ferry`` on every
    system: they are moved over once. Should the move fail, the old file stays in
    use: a lost pin would let the next certificate in unchecked."""
    path = user_folder("config") / "known_servers"
    legacy = _legacy_known_servers()
    if legacy == path or os.path.lexists(path) or not os.path.lexists(legacy):
        return path
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        os.replace(legacy, path)
    except OSError:
        return legacy
    return path


def _legacy_known_servers() -> Path:
    """Where Ferry 1.0 kept the pins, whatever the system."""
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "ferry" / "known_servers"


def fingerprint(der: bytes) -> str:
    return "SHA256:" + hashlib.sha256(der).hexdigest()


@dataclass(frozen=True)
class TlsSettings:
    """``cafile``: verify the server against these CAs (and its host name).
    Without it: pin the server's certificate in ``known_servers``."""

    cafile: str | None = None
    known_servers: Path | None = None


#: A pin: ``host:port SHA256:<64 hex digits>`` (what :meth:`KnownServers.check` writes).
_PIN = re.compile(r"(\S+)[ \t]+SHA256:([0-9a-fA-F]{64})")
_PIN_FORM = "HOST:PORT SHA256:<64 hex digits>"


class KnownServers:
    """A text file of ``host:port fingerprint`` lines; ``#`` starts a comment.

    The file is the only thing that stands between a pinned server and an
    interceptor, so a damaged one (a line that is not a pin, bytes that are not
    UTF-8, a folder in its place) refuses every connection that needs it, with a
    ``local_io`` error naming the file and the line to fix: a line that cannot be
    read might be the pin of the server at hand."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _read(self) -> bytes:
        """The file's bytes (none when it does not exist yet). Opened without
        blocking and checked to be a regular file: a FIFO would hang the
        connection, a device such as /dev/zero never end."""
        try:
            fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        except FileNotFoundError:
            return b""
        except IsADirectoryError:  # where a folder cannot be opened at all
            raise self._unusable("is a folder, not a file") from None
        except OSError as exc:
            raise self._unreadable(exc) from None
        try:
            mode = os.fstat(fd).st_mode
            if stat.S_ISDIR(mode):
                raise self._unusable("is a folder, not a file")
            if not stat.S_ISREG(mode):
                raise self._unusable("is not a regular file")
            with open(fd, "rb", closefd=False) as f:
                return f.read()
        except OSError as exc:
            raise self._unreadable(exc) from None
        finally:
            os.close(fd)

    def _entries(self) -> dict[str, str]:
        data = self._read()
        entries = {}
        for number, raw in enumerate(data.splitlines(), start=1):
            try:
                line = raw.decode("utf-8").strip()
            except UnicodeDecodeError:
                raise self._damaged(number, "this line is not UTF-8 text") from None
            if not line or line.startswith("#"):
                continue
            pin = _PIN.fullmatch(line)
            if pin is None:
                raise self._damaged(number, f"this line is not '{_PIN_FORM}'")
            entries[pin[1]] = "SHA256:" + pin[2].lower()
        return entries

    def _unreadable(self, exc: OSError) -> FerryError:
        return FerryError("local_io", f"cannot read {self.path}: {exc.strerror or exc}")

    def _unusable(self, problem: str) -> FerryError:
        return FerryError("local_io", f"{self.path} {problem}; move it away and connect again")

    def _damaged(self, number: int, problem: str) -> FerryError:
        return FerryError("local_io", f"{self.path}:{number}: {problem}; edit or delete it")

    def check(self, server: str, seen: str) -> None:
        """Remember ``seen`` for a new server; refuse it if it differs from the pinned one."""
        pinned = self._entries().get(server)
        if pinned is None:
            self._remember(server, seen)
            return
        if pinned != seen:
            raise FerryError(
                "certificate_changed",
                f"the certificate of {server} is not the one seen before ({seen}, expected {pinned}). "
                f"Someone may be intercepting the connection. If the server's certificate really was replaced, "
                f"remove its line from {self.path} and connect again.",
            )

    def _remember(self, server: str, seen: str) -> None:
        """Append the pin on a line of its own, even after a last line a person left
        without its newline (appending to it would damage both)."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "ab+") as f:
                f.seek(0, os.SEEK_END)
                if f.tell() > 0:
                    f.seek(-1, os.SEEK_END)
                    if f.read(1) != b"\n":
                        f.write(b"\n")
                f.write(f"{server} {seen}\n".encode())
        except OSError as exc:
            raise FerryError("local_io", f"cannot remember the certificate of {server} in {self.path}: {exc.strerror or exc}") from None


def client_context(settings: TlsSettings) -> ssl.SSLContext:
    if settings.cafile is not None:
        return ssl.create_default_context(cafile=settings.cafile)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the pin below is the check
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context
