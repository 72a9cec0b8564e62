"""Ferry under test: the real server (``python3 -S run_server.py --port 0`` via
tests/server_process.py) and the blocking client library, plus two raw probes
that leave out client-side work the server is not responsible for."""

from __future__ import annotations

import hashlib
import os
import socket
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from ferry_files.shared.client import FerryClient  # noqa: E402
from ferry_files.shared.framing import HeaderBuffer, decode_header, encode_header  # noqa: E402
from ferry_files.shared.messages import Put, raise_for_error  # noqa: E402

from tests import server_process  # noqa: E402
from tests.server_process import ServerProcess  # noqa: E402

__all__ = ["FerryClient", "FerryServer", "file_sha256", "probe_put", "probe_list"]


class FerryServer:
    """A running Ferry server on ``root`` with extra command-line flags; ``tree`` runs
    another checkout's ``run_server.py`` (for A/B comparisons, see ``bench.ab``)."""

    def __init__(self, root: Path, *args: str, tree: Path | None = None, web: bool = False) -> None:
        self.process = ServerProcess(root, "--log-level", "warning", *args, web=web)
        self.tree = tree

    def start(self) -> FerryServer:
        own = server_process.RUN_SERVER
        if self.tree is not None:
            server_process.RUN_SERVER = self.tree / "run_server.py"
        try:
            self.process.start()
        finally:
            server_process.RUN_SERVER = own
        return self

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def port(self) -> int:
        return self.process.port

    @property
    def http_port(self) -> int:
        """The web port (with ``web=True``)."""
        return self.process.http_port

    def connect(self, timeout: float = 60.0) -> FerryClient:
        return FerryClient.connect("127.0.0.1", self.port, timeout=timeout)

    def stop(self) -> None:
        self.process.__exit__(None, None, None)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb", buffering=0) as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def probe_put(client: FerryClient, path: Path, name: str, sha256: str) -> int:
    """The library's own ``put`` minus its first step (hashing the local file):
    the request carries a sha256 computed beforehand, then the library's
    sendfile body and final response. Measures what the server adds."""
    size = path.stat().st_size
    with open(path, "rb") as source:
        client._call(Put(name, size, True, sha256))
        client._send_upload(source.fileno(), 0, size, None, None, None)
        response = raise_for_error(client._read_header())
    if response.get("sha256") != sha256:
        raise RuntimeError("server stored different bytes")
    return size


def probe_list(port: int, repeats: int, request: dict | None = None) -> list[float]:
    """Seconds from sending ``list`` (``request``: one with 1.1 fields) to the
    body's last byte, ``repeats`` times on one fresh connection; no JSON parsing
    on this side."""
    import time

    latencies = []
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        headers = HeaderBuffer()
        buffer = memoryview(bytearray(1 << 20))

        def header() -> dict:
            while (line := headers.next_header()) is None:
                n = sock.recv_into(buffer)
                if not n:
                    raise ConnectionError("server closed")
                headers.feed(buffer[:n])
            return decode_header(line)

        header()  # greeting
        request = encode_header(request or {"op": "list"})
        for _ in range(repeats):
            t0 = time.perf_counter()
            sock.sendall(request)
            length = header()["length"]
            got = len(headers.take(length))
            while got < length:
                n = sock.recv_into(buffer[: min(len(buffer), length - got)])
                if not n:
                    raise ConnectionError("server closed")
                got += n
            latencies.append(time.perf_counter() - t0)
    return latencies


def unlink_quietly(path: Path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
