"""Code shared by the Ferry server and every client: the wire protocol and the client library.

The protocol modules (``limits``, ``errors``, ``names``, ``framing``, ``messages``)
do no I/O, so the server, the clients and the tests all speak exactly one dialect.
"""

__version__ = "1.0.0"
