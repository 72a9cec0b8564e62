"""Fixtures shared by all tests: a library folder and the real server on it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.certificates import make_cert
from tests.netns_support import Lan, NamespacedServer, entered, make_lan
from tests.netns_support import unavailable as netns_unavailable
from tests.server_process import ServerProcess
from tests.terminal_support import address_of


@pytest.fixture(autouse=True)
def state_home(tmp_path_factory, monkeypatch) -> Path:
    """The clients' state folder (resume records): one per test, never the real one.
    Outside ``tmp_path``, which tests compare with what they expect to find there."""
    folder = tmp_path_factory.mktemp("state")
    monkeypatch.setenv("XDG_STATE_HOME", str(folder))
    return folder


@pytest.fixture
def library(tmp_path: Path) -> Path:
    root = tmp_path / "library"
    root.mkdir()
    return root


def _servers(make: Callable[..., ServerProcess]) -> Iterator[Callable[..., ServerProcess]]:
    """A fixture's ``start(*args, **kwargs)``: a started ``make(*args, **kwargs)``,
    each one stopped when the test ends."""
    started: list[ServerProcess] = []

    def start(*args: str, **kwargs) -> ServerProcess:
        server = make(*args, **kwargs).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.__exit__(None, None, None)


@pytest.fixture
def server_factory(library: Path) -> Iterator:
    """Start servers with extra command-line flags; all are stopped at the end."""
    yield from _servers(lambda *args, root=None, **kwargs: ServerProcess(root or library, *args, **kwargs))


@pytest.fixture
def server(server_factory) -> ServerProcess:
    return server_factory("--workers", "2")


@pytest.fixture
def folders_client(server) -> Iterator:
    """A client library connection to ``server``, which must offer folders (1.1)."""
    from ferry_files.shared.client import FerryClient
    from ferry_files.shared.messages import FOLDERS

    with FerryClient.connect(*server.address) as c:
        if not c.greeting.offers(FOLDERS):
            pytest.skip("the server does not offer folders")
        yield c


@pytest.fixture
def addr(server) -> str:
    """The server's address as the terminal client takes it (HOST:PORT)."""
    return address_of(server)


@pytest.fixture
def downloads(tmp_path: Path) -> Path:
    folder = tmp_path / "downloads"
    folder.mkdir()
    return folder


@pytest.fixture(scope="session")
def certs(tmp_path_factory) -> tuple[Path, Path]:
    """One certificate and key for every TLS test that needs no other."""
    return make_cert(tmp_path_factory.mktemp("certs"))


@pytest.fixture
def lan() -> Iterator[Lan]:
    """Two network namespaces joined by a veth pair (tests/netns_support.py)."""
    reason = netns_unavailable()
    if reason is not None:
        pytest.skip(reason)
    with make_lan() as made:
        yield made


@pytest.fixture
def ns_server(lan: Lan, library: Path) -> Iterator:
    """Start servers in ``lan``'s server namespace; stopped before the namespaces go."""
    yield from _servers(lambda *args, **kwargs: NamespacedServer(lan, library, "--workers", "1", *args, **kwargs))


@pytest.fixture
def client_side(lan: Lan) -> Iterator[Lan]:
    """The test's own thread in the client namespace, and every thread it starts
    meanwhile (the desktop app's discovery, its connections). Ask for it before
    the fixtures that start those threads."""
    with entered(lan.client_ns):
        yield lan
