"""The web page and its few own URLs under ``/.ferry/`` (a path no library file
can have: names may not start with ``.``).

The page is three static files in ``page/`` (no build step, nothing fetched
from another site), read once per worker. Every folder URL a browser asks for
gets ``index.html``, which reads the folder's JSON listing itself. Its
Content-Security-Policy allows only this origin's script and style, so even a
name that slipped past the page's ``textContent`` could not run.
"""

from __future__ import annotations

import asyncio
import json
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from ferry_files.shared import __version__
from ferry_files.shared.errors import ErrorCode, FerryError

from ..session import AUTH_FAILURE_DELAY

if TYPE_CHECKING:
    from .request import HttpRequest
    from .session import WebSession

_FOLDER = Path(__file__).resolve().parent / "page"
_TYPES = {"index.html": b"text/html; charset=utf-8", "app.js": b"text/javascript; charset=utf-8", "style.css": b"text/css; charset=utf-8"}
_PAGE_POLICY = (
    b"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    b"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


@cache
def _asset(name: str) -> bytes:
    return (_FOLDER / name).read_bytes()


async def serve(session: WebSession, request: HttpRequest) -> None:
    name = request.target.app
    if name is None or name == "":
        name = "index.html"
    if request.method in (b"GET", b"HEAD"):
        if name in _TYPES:
            await session.send_bytes(200, _asset(name), _TYPES[name], [(b"content-security-policy", _PAGE_POLICY)])
            return
        if name == "info":
            await session.send_json(200, _info(session, request))
            return
    elif request.method == b"POST" and name == "login":
        await _login(session)
        return
    elif request.method == b"POST" and name == "logout":
        await session.send_json(200, {"ok": True}, [(b"set-cookie", session.guard.logout_cookie())])
        return
    raise FerryError(ErrorCode.NOT_FOUND, f"no page named {name!r}")


def _info(session: WebSession, request: HttpRequest) -> dict[str, object]:
    """What the page shows and offers: sign-in, and which changes the server allows."""
    config = session.context.config
    return {
        "server": f"ferry/{__version__}",
        "auth": config.auth_mode,
        "signed_in": session.guard.signed_in(request.headers),
        "read_only": config.read_only,
        "no_delete": config.no_delete,
        "max_upload": config.max_upload,
    }


async def _login(session: WebSession) -> None:
    """``{"token": ...}`` -> the cookie. A wrong token waits, as on the native protocol."""
    try:
        given = json.loads(await session.read_small_body(4096)).get("token")
    except (ValueError, UnicodeDecodeError, AttributeError):
        given = None
    if not isinstance(given, str):
        raise FerryError(ErrorCode.BAD_REQUEST, 'the body must be {"token": "..."}')
    guard = session.guard
    if guard.cookie_value is None:
        await session.send_json(200, {"ok": True})
        return
    if not guard.token_matches(given):
        await asyncio.sleep(AUTH_FAILURE_DELAY)
        raise FerryError(ErrorCode.UNAUTHORIZED, "wrong token")
    await session.send_json(200, {"ok": True}, [(b"set-cookie", guard.login_cookie())])
