"""Two network namespaces joined by a veth pair, for discovery tests.

Multicast DNS must never touch the machine's own interfaces in a test (it would
announce test servers to the real LAN, and real servers would leak into the
test). So every discovery test makes a private little LAN: a *server* namespace
and a *client* namespace, each with its end of a veth pair, multicast on, IPv6
off (no duplicate-address-detection delay), and a default route over the veth
so zeroconf can send to 224.0.0.251 and the QR banner finds its LAN address.
Processes run inside with ``ip netns exec``; a thread of the test process can
enter a namespace itself (:func:`entered`), which is how the desktop app's own
discovery thread browses the client side.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass

from tests.server_process import REPO, ServerProcess

SERVER_IP = "10.99.0.1"
CLIENT_IP = "10.99.0.2"
_CLONE_NEWNET = 0x40000000


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=10)


def unavailable() -> str | None:
    """Why namespaces cannot be made here, or None (they need root and iproute2)."""
    if os.geteuid() != 0:
        return "network namespaces need root"
    if subprocess.run(["ip", "-V"], capture_output=True).returncode != 0:
        return "iproute2 is not installed (tools/ensure_system_deps.sh)"
    return None


@dataclass
class Lan:
    server_ns: str
    client_ns: str

    def exec_prefix(self, namespace: str) -> list[str]:
        return ["ip", "netns", "exec", namespace]

    def run_client(self, *args: str, timeout: float = 30.0) -> subprocess.CompletedProcess[str]:
        """``run_client.py ARGS`` in the client namespace."""
        command = [*self.exec_prefix(self.client_ns), sys.executable, str(REPO / "run_client.py"), *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)

    def run_python(self, namespace: str, code: str, *args: str, timeout: float = 30.0) -> subprocess.CompletedProcess[str]:
        command = [*self.exec_prefix(namespace), sys.executable, "-c", code, *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=REPO, stdin=subprocess.DEVNULL)

    @contextlib.contextmanager
    def raw_announcements(self, records: list[dict], seconds: float = 30.0) -> Iterator[None]:
        """tests/mdns_peer.py announcing ``records`` from the server side, as
        anyone on a LAN could, whatever they say."""
        command = [*self.exec_prefix(self.server_ns), sys.executable, str(REPO / "tests" / "mdns_peer.py"), SERVER_IP, str(seconds)]
        peer = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            assert peer.stdin is not None and peer.stdout is not None
            peer.stdin.write(json.dumps(records) + "\n")
            peer.stdin.close()
            assert peer.stdout.readline() == "announcing\n"
            yield
        finally:
            peer.kill()
            peer.wait()
            peer.stdout.close()  # type: ignore[union-attr]


@contextlib.contextmanager
def make_lan() -> Iterator[Lan]:
    tag = secrets.token_hex(3)
    lan = Lan(f"ferry-s-{tag}", f"ferry-c-{tag}")
    server_link, client_link = f"fs{tag}", f"fc{tag}"
    ends = ((lan.server_ns, server_link, SERVER_IP), (lan.client_ns, client_link, CLIENT_IP))
    try:
        for namespace, _link, _address in ends:
            _ip("netns", "add", namespace)
        _ip("link", "add", server_link, "type", "veth", "peer", "name", client_link)
        for namespace, link, ip in ends:
            _ip("link", "set", link, "netns", namespace)
            subprocess.run([*lan.exec_prefix(namespace), "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"], capture_output=True)
            _ip("-n", namespace, "addr", "add", f"{ip}/24", "dev", link)
            _ip("-n", namespace, "link", "set", link, "up", "multicast", "on")
            _ip("-n", namespace, "link", "set", "lo", "up")
            _ip("-n", namespace, "route", "add", "default", "dev", link)
        yield lan
    finally:
        for namespace in (lan.server_ns, lan.client_ns):
            subprocess.run(["ip", "netns", "del", namespace], capture_output=True)  # takes its veth end along


class NamespacedServer(ServerProcess):
    """The real server inside a namespace; with ``site`` (the default) it runs
    without ``-S``, so it finds zeroconf in site-packages. Its web port is off
    unless ``web`` (then on a free port, as ServerProcess does), so that several
    servers fit in one namespace."""

    def __init__(self, lan: Lan, root, *args: str, host: str = SERVER_IP, site: bool = True, web: bool = False) -> None:
        super().__init__(root, *args, web=web)
        self.lan = lan
        self.host = host
        self.site = site

    def command(self) -> list[str]:
        plain = super().command()
        if self.site and "-S" in plain:
            plain.remove("-S")
        if not self.web:
            plain.append("--no-http")
        return [*self.lan.exec_prefix(self.lan.server_ns), *plain]


@contextlib.contextmanager
def entered(namespace: str) -> Iterator[None]:
    """The calling thread inside ``namespace`` (setns acts on one thread); threads
    it starts meanwhile stay there. Back in its own namespace afterwards."""
    libc = ctypes.CDLL(None, use_errno=True)
    own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    target = os.open(f"/run/netns/{namespace}", os.O_RDONLY)
    try:
        if libc.setns(target, _CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), f"setns into {namespace}")
        try:
            yield
        finally:
            if libc.setns(own, _CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns back")
    finally:
        os.close(own)
        os.close(target)
