"""Server tokens in the operating system's keyring, and nowhere else.

A token is a password: it goes to the Secret Service (GNOME Keyring, KWallet),
the macOS Keychain or the Windows Credential Locker through the ``keyring``
library. Where there is none (a headless machine, CI, keyring not installed)
the store says why and keeps nothing: no plain-file fallback, on purpose.
No tkinter here.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger("gui.tokens")

#: The keyring's service name; the user name is ``host:port``.
SERVICE = "ferry"


def _open_keyring() -> tuple[Any | None, str]:
    """The keyring backend, or None and the reason there is none."""
    try:
        import keyring
        from keyring.backends import fail, null
    except ImportError:
        return None, "the keyring library is not installed"
    try:
        backend = keyring.get_keyring()
    except Exception as exc:  # a broken keyring configuration: no tokens, the app goes on
        return None, f"the keyring does not work: {exc}"
    if isinstance(backend, (fail.Keyring, null.Keyring)):
        return None, "this system has no keyring (Secret Service, KWallet, Keychain or Credential Locker)"
    return backend, ""


def _account(host: str, port: int) -> str:
    """Host names ignore case, so "NAS" and "nas" share one token."""
    return f"{host.lower()}:{port}"


class TokenStore:
    """Tokens by server. Asks the keyring which backend to use when created,
    so a test's ``keyring.set_keyring`` before that is honoured."""

    def __init__(self) -> None:
        self._backend, self.unavailable = _open_keyring()
        if self._backend is None:
            log.info("tokens will not be remembered: %s", self.unavailable)

    @property
    def available(self) -> bool:
        return self._backend is not None

    def get(self, host: str, port: int) -> str:
        """The stored token, or "" (none stored, or the keyring refused)."""
        if self._backend is None:
            return ""
        try:
            return self._backend.get_password(SERVICE, _account(host, port)) or ""
        except Exception as exc:  # a locked or broken keyring: connect without a token
            log.warning("cannot read the token of %s:%s from the keyring: %s", host, port, exc)
            return ""

    def put(self, host: str, port: int, token: str) -> str:
        """Store ``token`` (an empty one deletes). Returns "" when done, else why not."""
        if self._backend is None:
            return self.unavailable
        try:
            if token:
                self._backend.set_password(SERVICE, _account(host, port), token)
            else:
                self.delete(host, port)
        except Exception as exc:  # the person refused to unlock it, or it is broken
            return f"the keyring refused: {exc}"
        return ""

    def delete(self, host: str, port: int) -> None:
        if self._backend is None:
            return
        try:
            self._backend.delete_password(SERVICE, _account(host, port))
        except Exception:  # nothing stored for it: nothing to delete
            pass
