"""A raw multicast-DNS announcer: says whatever a test wants, as a hostile peer on
the LAN would. zeroconf refuses to *send* control characters in a name, so the
packets are built here by hand (RFC 1035 / 6762): PTR, SRV, TXT and A records in
one unsolicited response per record, sent every half second for a bounded time.

    python tests/mdns_peer.py ADDRESS SECONDS   (records as a JSON list on stdin)

Run it inside a test namespace (tests/netns_support.py), never on a real LAN.
"""

from __future__ import annotations

import json
import socket
import struct
import sys
import time

MDNS = ("224.0.0.251", 5353)
SERVICE = "_ferry._tcp.local."
_PTR, _TXT, _SRV, _A = 12, 16, 33, 1
_IN, _CACHE_FLUSH = 1, 0x8000


def _name(*labels: bytes) -> bytes:
    return b"".join(bytes([len(label)]) + label for label in labels) + b"\0"


def _service_labels() -> list[bytes]:
    return [label.encode() for label in SERVICE.rstrip(".").split(".")]


def _record(name: bytes, kind: int, rdata: bytes, flush: bool = True) -> bytes:
    return name + struct.pack("!HHIH", kind, _IN | (_CACHE_FLUSH if flush else 0), 120, len(rdata)) + rdata


def packet(instance: bytes, address: str, port: int, txt: list[bytes]) -> bytes:
    """One response announcing ``instance`` (raw bytes, up to 63) at ``address:port``."""
    service = _name(*_service_labels())
    full = _name(instance, *_service_labels())
    host = _name(b"hostile", b"local")
    records = [
        _record(service, _PTR, full, flush=False),
        _record(full, _SRV, struct.pack("!HHH", 0, 0, port) + host),
        _record(full, _TXT, b"".join(bytes([len(s)]) + s for s in txt)),
        _record(host, _A, socket.inet_aton(address)),
    ]
    return struct.pack("!HHHHHH", 0, 0x8400, 0, len(records), 0, 0) + b"".join(records)


def main() -> None:
    address, seconds = sys.argv[1], float(sys.argv[2])
    packets = [packet(r["instance"].encode(), address, r["port"], [s.encode() for s in r["txt"]]) for r in json.loads(sys.stdin.readline())]
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(address))
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 255)
    sock.bind((address, MDNS[1]))
    print("announcing", flush=True)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for data in packets:
            sock.sendto(data, MDNS)
        time.sleep(0.5)


if __name__ == "__main__":
    main()
