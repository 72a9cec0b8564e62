"""What the parent opens and loads once, for every worker to inherit by fork.

A worker that resolved paths itself would get whatever they name at that
moment: after the library folder was renamed, a replacement worker made an
empty library at the old path; after the certificate files were rotated, one
worker's death meant two certificates served at once; with the key file
removed, one worker's death stopped the server. So the parent resolves each
path once, at start, and workers use only what they inherit. The certificate is
loaded again only when asked (SIGHUP), by the parent, for all workers at once
(supervisor.py).
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass

from .config import ServerConfig
from .tls import server_context


@dataclass(frozen=True)
class Inherited:
    #: The library folder, opened by path once; workers reopen it through this fd.
    root_fd: int
    #: The certificate and key, loaded once; None without TLS.
    tls: ssl.SSLContext | None


def load_tls(config: ServerConfig) -> ssl.SSLContext | None:
    """The TLS context of the configured certificate and key, read from their paths
    now; raises OSError/ssl.SSLError when the pair cannot be used."""
    if config.tls_cert is None or config.tls_key is None:
        return None
    return server_context(config.tls_cert, config.tls_key)
