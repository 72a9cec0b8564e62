"""A scripted, hostile Ferry server for client-side tests: one connection, a
greeting, then whatever the test's script sends."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable

GREETING = b'{"ferry":1,"server":"evil","auth":false,"max_upload":null}\n'

Script = Callable[[socket.socket, "socket.SocketIO"], None]


class EvilServer:
    """One connection, driven by ``script(conn, reader)`` after the greeting."""

    def __init__(self, script: Script, greeting: bytes = GREETING) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.script = script
        self.greeting = greeting
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def address(self) -> tuple[str, int]:
        return self.listener.getsockname()

    def _serve(self) -> None:
        conn, _ = self.listener.accept()
        with conn:
            try:
                conn.sendall(self.greeting)
                self.script(conn, conn.makefile("rb"))
            except (BrokenPipeError, ConnectionResetError):
                pass
            except BaseException as exc:  # reported by close()
                self.error = exc

    def close(self) -> None:
        self.thread.join(10)
        self.listener.close()
        if self.error is not None:
            raise self.error


def header(obj: dict) -> bytes:
    return json.dumps(obj).encode() + b"\n"


def replies(*answers: bytes) -> Script:
    """Answer each request line with the next canned bytes, then close."""

    def script(conn: socket.socket, reader) -> None:
        for answer in answers:
            if not reader.readline():
                return
            conn.sendall(answer)

    return script
