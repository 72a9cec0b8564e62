"""The QR code of the connected server's web page, so a phone opens it with its
camera (docs/web.md, "QR code").

Which address: the one the server's discovery record announced when the app
found it on the network; otherwise the server's host on the default web port,
asked with ``HEAD /`` first (on a thread: the Tk loop never waits on the
network), so the dialog never shows the code of a page that is not there.
"""

from __future__ import annotations

import base64
import http.client
import logging
import ssl
import threading
import tkinter as tk
from collections.abc import Callable
from tkinter import ttk

log = logging.getLogger("gui.web_qr")

#: The web server's default port (``--http-port``).
DEFAULT_WEB_PORT = 7070
#: How long the ``HEAD /`` probe waits for an answer.
PROBE_TIMEOUT = 3.0
#: Pixels per module: a version-3 code (a typical LAN URL) is about 200 px wide.
SCALE = 6

Post = Callable[..., None]


def web_url(host: str, tls: bool, port: int = DEFAULT_WEB_PORT) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"{'https' if tls else 'http'}://{shown}:{port}/"


def probe(host: str, tls: bool, port: int = DEFAULT_WEB_PORT) -> bool:
    """True when an HTTP server answers ``HEAD /`` there, whatever its status (a
    login page's 401 is still the page). With TLS the certificate is not checked:
    this only asks whether something answers; the browser checks the rest."""
    if tls:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        connection: http.client.HTTPConnection = http.client.HTTPSConnection(host, port, timeout=PROBE_TIMEOUT, context=context)
    else:
        connection = http.client.HTTPConnection(host, port, timeout=PROBE_TIMEOUT)
    try:
        connection.request("HEAD", "/")
        connection.getresponse()
        return True
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()


def qr_photo(master: tk.Misc, url: str) -> tk.PhotoImage | None:
    """The code as a Tk image; None without segno."""
    try:
        import segno
    except ImportError:
        return None
    data = segno.make_qr(url, error="m").png_data_uri(scale=SCALE, border=4)
    return tk.PhotoImage(master=master, data=base64.b64decode(data.split(",", 1)[1]), format="png")


class QrDialog(tk.Toplevel):
    def __init__(self, parent: tk.Misc, url: str) -> None:
        super().__init__(parent)
        self.url = url
        self.title("Ferry: open on a phone")
        self.transient(parent.winfo_toplevel())
        self.resizable(False, False)
        body = ttk.Frame(self, padding=16)
        body.pack(fill="both", expand=True)
        self.image = qr_photo(self, url)
        if self.image is None:
            ttk.Label(body, text="QR codes need the segno library, which is not installed.", wraplength=300).pack()
        else:
            ttk.Label(body, image=self.image).pack()
        ttk.Label(body, text="Scan with a phone's camera to open").pack(pady=(10, 0))
        self.url_label = ttk.Label(body, text=url)
        self.url_label.pack()
        self.close_button = ttk.Button(body, text="Close", command=self.destroy)
        self.close_button.pack(pady=(10, 0))
        self.bind("<Escape>", lambda _e: self.destroy())


def find_web_page(host: str, tls: bool, announced: str | None, post: Post, found: Callable[[str | None], None]) -> None:
    """Call ``found(url)`` on the Tk thread (through ``post``): the announced URL at
    once, else the default one if it answers, else None."""
    if announced is not None:
        found(announced)
        return
    url = web_url(host, tls)

    def ask() -> None:
        post(found, url if probe(host, tls) else None)

    threading.Thread(target=ask, name="web-probe", daemon=True).start()
