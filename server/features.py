"""Which features of protocol 1.1 (PROTOCOL.md section 7) this server offers.

The one place that says so: the greeting lists :func:`offered`, and the session
answers ``forbidden`` to any request that uses a feature not in it. Whoever
implements a feature (its requests answered in ``session.py``) adds its name, one
of ``shared.messages.FEATURES``, to :data:`IMPLEMENTED`; nothing else changes.
"""

from __future__ import annotations

from ferry_files.shared.messages import FOLDERS, MANAGE, MTIME, RESUME, TRAILER

from .config import ServerConfig

#: Features whose requests the session can answer. ``get``'s ``length`` (7.5) is
#: no feature: every 1.1 server honours it, and this one does.
IMPLEMENTED: frozenset[str] = frozenset({FOLDERS, MANAGE, TRAILER, RESUME, MTIME})


def offered(config: ServerConfig) -> frozenset[str]:
    """The features this server's greeting names. ``--no-delete`` leaves out
    ``manage`` (delete, rename), as 7.3 says a server refusing changes does."""
    if config.no_delete:
        return IMPLEMENTED - {MANAGE}
    return IMPLEMENTED
