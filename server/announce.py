"""DNS-SD announcement of the server (``_ferry._tcp.local.``), so clients find it
without an address (docs/discovery.md).

The parent only decides *what* to announce and starts a small process of its own
that does the announcing with the ``zeroconf`` library (``python -m
ferry_files.server.announce``). Why not a thread in the parent: the parent forks its workers
and must be single-threaded when it does (worker_handle.py), zeroconf runs an
event loop thread and blocks for a second or two while it probes the name, and
an announcer that crashes or hangs must cost the server nothing but discovery.
A process gives all three for free, and the parent never imports zeroconf, so
``python3 -S run_server.py`` (no zeroconf) only logs that discovery is off.

The two ends talk through the child's stdin: one JSON line (the record), then
the pipe stays open; a later line is the record again, changed (a certificate
reloaded on SIGHUP has another fingerprint). Closing the pipe (the parent
drains, or dies) makes the child say goodbye on the network (unregister) and exit.
"""

from __future__ import annotations

import importlib.util
import ipaddress
import json
import logging
import multiprocessing
import os
import signal
import socket
import ssl
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ferry_files.shared import __version__
from ferry_files.shared.discovery_record import SERVICE_TYPE, TxtKey, instance_name_problem, truncate_utf8
from ferry_files.shared.tls import fingerprint

from .config import ServerConfig
from .features import offered

log = logging.getLogger("ferry_files.server.announce")  # not __main__ when run with -m

#: How long the announcer has to say goodbye after its pipe closed before it is killed.
GOODBYE_TIMEOUT = 3.0
_PACKAGE_ROOT = Path(__file__).resolve().parent.parent
_PEM_CERT = "-----BEGIN CERTIFICATE-----"
_PEM_CERT_END = "-----END CERTIFICATE-----"


@dataclass(frozen=True)
class Record:
    """What is announced: the instance name, where to connect, and the TXT record."""

    name: str
    port: int
    #: The address the listener is bound to; a wildcard (``0.0.0.0``, ``::``) means
    #: every interface's addresses are announced.
    host: str
    properties: dict[str, str]


def default_name() -> str:
    return truncate_utf8(f"Ferry on {socket.gethostname()}", 63)


def certificate_fingerprint(cert_path: Path) -> str:
    """The ``SHA256:<hex>`` pin of the first certificate in the PEM file, in the form
    clients keep in known_servers, so a client can pin what it will be shown."""
    text = cert_path.read_text(encoding="ascii", errors="replace")
    start = text.find(_PEM_CERT)
    end = text.find(_PEM_CERT_END, start)
    if start < 0 or end < 0:
        raise ValueError(f"no certificate in {cert_path}")
    return fingerprint(ssl.PEM_cert_to_DER_cert(text[start : end + len(_PEM_CERT_END)]))


def record_for(config: ServerConfig, host: str, port: int, http_port: int | None) -> Record:
    """The record of this server listening on ``host:port``; ``http_port`` is the web
    page's port, None when the web server is off."""
    properties = {
        TxtKey.VERSION: __version__,
        TxtKey.FEATURES: ",".join(sorted(offered(config))),
        TxtKey.AUTH: "none" if config.token is None else config.token_for,
    }
    if http_port is not None:
        properties[TxtKey.HTTP] = str(http_port)
    if config.tls_cert is not None:
        properties[TxtKey.TLS] = "1"
        properties[TxtKey.FINGERPRINT] = certificate_fingerprint(config.tls_cert)
    return Record(config.name or default_name(), port, host, properties)


def _loopback_only(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


class Announcer:
    """The parent's handle on the announcing process."""

    def __init__(self, process: subprocess.Popen[bytes], config: ServerConfig, host: str, port: int, http_port: int | None) -> None:
        self.process = process
        self._record = lambda: record_for(config, host, port, http_port)

    @classmethod
    def start(cls, config: ServerConfig, host: str, port: int, http_port: int | None = None) -> Announcer | None:
        """Start announcing, or log why discovery is off and return None. Never raises:
        the server serves whether or not it can be found."""
        if not config.announce:
            log.info("discovery off: --no-announce")
            return None
        if _loopback_only(host):
            log.info("discovery off: listening on %s only, which no other machine can reach (--host 0.0.0.0 to be found)", host)
            return None
        if importlib.util.find_spec("zeroconf") is None:
            log.warning("discovery off: the zeroconf library is not installed (it is in the project's dependencies)")
            return None
        try:
            record = record_for(config, host, port, http_port)
            process = subprocess.Popen(
                [sys.executable, "-m", "ferry_files.server.announce", "--log-level", config.log_level],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                cwd=_PACKAGE_ROOT,
                start_new_session=True,  # Ctrl+C reaches the parent, which then closes the pipe
                bufsize=0,
            )
        except (OSError, ValueError) as exc:
            log.error("discovery off: cannot start announcing: %s", exc)
            return None
        announcer = cls(process, config, host, port, http_port)
        if not announcer._send(record):
            announcer.close()
            return None
        return announcer

    def refresh(self) -> None:
        """Announce the record as it is now: after SIGHUP reloaded the certificate,
        clients must be told its new fingerprint, or they would pin the old one."""
        try:
            record = self._record()
        except (OSError, ValueError) as exc:
            log.error("cannot announce the reloaded certificate: %s", exc)
            return
        if self._send(record):
            log.info("announcing the reloaded certificate's fingerprint")

    def _send(self, record: Record) -> bool:
        """One line to the announcer, without ever blocking the parent: a record is
        less than PIPE_BUF, so a non-blocking write is all or nothing."""
        assert self.process.stdin is not None
        try:
            os.set_blocking(self.process.stdin.fileno(), False)
            os.write(self.process.stdin.fileno(), json.dumps(asdict(record)).encode() + b"\n")
        except (OSError, ValueError) as exc:  # it died (and says why in the log itself), or is stuck
            log.warning("discovery: the announcer did not take the record (%s)", exc)
            return False
        return True

    def alive(self) -> bool:
        """False once the process has exited, which this reaps: the parent leaves
        no zombie, whichever of its children dies."""
        status = self.process.poll()
        if status is None:
            return True
        log.warning("discovery off: the announcer exited (status %s)", status)
        return False

    def stop(self) -> None:
        """Ask for a goodbye on the network; returns at once (the server is draining)."""
        if self.process.stdin is not None and not self.process.stdin.closed:
            try:
                self.process.stdin.close()
            except OSError:  # it is gone already
                pass

    def close(self) -> None:
        """Stop and reap the process, killing it if its goodbye takes too long."""
        self.stop()
        try:
            self.process.wait(GOODBYE_TIMEOUT)
        except subprocess.TimeoutExpired:
            log.warning("the announcer did not stop within %gs; killing it", GOODBYE_TIMEOUT)
            self.process.kill()
            self.process.wait()


# -- the announcing process ------------------------------------------------------


def _interfaces_and_addresses(host: str) -> tuple[object, list[str]]:
    """zeroconf's ``interfaces`` and the addresses to put in the A/AAAA records:
    the bound address alone, or for a wildcard every non-loopback address."""
    import ifaddr
    from zeroconf import InterfaceChoice

    wildcard = ipaddress.ip_address(host).is_unspecified
    if not wildcard:
        return [host], [host]
    addresses = []
    for adapter in ifaddr.get_adapters():
        for ip in adapter.ips:
            if not ip.is_IPv4:  # IPv6 scoped addresses need an interface index; v4 reaches every LAN client
                continue
            if not ipaddress.ip_address(ip.ip).is_loopback:
                addresses.append(ip.ip)
    return InterfaceChoice.All, addresses


def _service_info(full_name: str, record: Record, addresses: list[str]) -> Any:
    from zeroconf import ServiceInfo

    server = f"{socket.gethostname().split('.')[0]}.local."
    return ServiceInfo(SERVICE_TYPE, full_name, port=record.port, properties=record.properties, server=server, parsed_addresses=addresses)


def _read_record(line: bytes) -> Record:
    record = Record(**json.loads(line))
    problem = instance_name_problem(record.name)
    if problem:
        raise ValueError(f"name {record.name!r} {problem}")
    return record


def _announce(record: Record) -> None:
    """Register the record, re-announce each changed one that arrives on stdin,
    and unregister when stdin closes (or on SIGTERM)."""
    from zeroconf import IPVersion, Zeroconf

    interfaces, addresses = _interfaces_and_addresses(record.host)
    if not addresses:
        raise OSError("this machine has no network address to announce")
    info = _service_info(f"{record.name}.{SERVICE_TYPE}", record, addresses)
    zc = Zeroconf(interfaces=interfaces, ip_version=IPVersion.V4Only)
    try:
        zc.register_service(info, allow_name_change=True)  # a second "Ferry on nas" becomes "Ferry on nas (2)"
        log.info("announcing %r as %s on %s port %d", info.name[: -len(SERVICE_TYPE) - 1], SERVICE_TYPE, ", ".join(addresses), record.port)
        try:
            for line in sys.stdin.buffer:
                info = _service_info(info.name, _read_record(line), addresses)  # the name it was registered under
                zc.update_service(info)
        except _Terminated:
            pass
        zc.unregister_service(info)
        log.info("no longer announced")
    finally:
        zc.close()


class _Terminated(Exception):
    pass


def _terminated(signum: int, frame: object) -> None:
    raise _Terminated


def main(argv: list[str] | None = None) -> int:
    import argparse

    from .logs import configure_logging

    parser = argparse.ArgumentParser(
        prog="python -m ferry_files.server.announce", description="Used by run_server.py; reads its record on stdin."
    )
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args(argv)
    multiprocessing.current_process().name = "announcer"
    configure_logging(args.log_level)
    logging.getLogger("zeroconf").setLevel(logging.ERROR)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _terminated)
    try:
        _announce(_read_record(sys.stdin.buffer.readline()))
    except (_Terminated, KeyboardInterrupt):
        return 0
    except Exception as exc:  # whatever zeroconf or the network raises, the server serves on
        log.error("discovery off: %s: %s", type(exc).__name__, exc)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
