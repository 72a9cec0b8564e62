"""Bulk transfers (issue 4, items 1 to 3): the loopback limit, Ferry and the peers,
moving one large file that sits in the page cache, interleaved A B A B."""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

from .ferry import FerryServer, file_sha256, probe_put, unlink_quietly
from .files import Workspace, make_file
from .limits import LimitPair
from .peers import FtpServer, HttpServer, Nginx, PeerUnavailable, curl_download, ensure_program
from .plan import MiB, Plan
from .report import Results
from .stats import Figure, Sample, interleave, measure

GIB_IN_MIB = 1024


def rate(action: Callable[[], int], server_pid: int | None, after: Callable[[], None] | None = None) -> Callable[[], Sample]:
    """A contender: run ``action`` (returns bytes moved), MiB/s as the value."""

    def run() -> Sample:
        seconds, sample = measure(action, server_pid)
        sample.value = sample.value / seconds / MiB
        sample.server_cpu_per_gib = sample.server_cores * GIB_IN_MIB / sample.value if sample.server_cores is not None else None
        sample.client_cpu_per_gib = sample.client_cores * GIB_IN_MIB / sample.value
        if after:
            after()
        return sample

    return run


def cpu_cost(runs: list[Sample]) -> dict:
    """CPU seconds per GiB moved on each side: unlike throughput, barely moved by other load on the machine."""
    out = {}
    for side in ("server", "client"):
        values = sorted(v for s in runs if (v := getattr(s, f"{side}_cpu_per_gib", None)) is not None)
        out[f"{side}_cpu_s_per_gib"] = values[len(values) // 2] if values else None
    return out


def start_peer(stack: ExitStack, results: Results, what: str, server):
    try:
        started = server.start()
    except PeerUnavailable as exc:
        server.stop()
        results.skip(what, str(exc))
        return None
    stack.callback(started.stop)
    return started


def source_file(plan: Plan, ws: Workspace) -> Path:
    path = ws.folder("serve") / "big.bin"
    if not path.exists():
        make_file(path, plan.bulk_size)
    return path


def downloads(plan: Plan, ws: Workspace, results: Results) -> None:
    big = source_file(plan, ws)
    serve, scratch, local = big.parent, ws.folder("scratch"), ws.folder("downloads")
    section = f"download {plan.bulk_size // MiB} MiB"
    with ExitStack() as stack:
        limit = LimitPair(big, scratch).start()
        stack.callback(limit.stop)
        ferry = start_peer(stack, results, "Ferry", FerryServer(serve))

        def ferry_sink() -> int:
            with ferry.connect() as client:
                return client.get_into(big.name, None)["length"]

        def ferry_file() -> int:
            with ferry.connect() as client:
                client.get(big.name, local)
            return plan.bulk_size

        c: dict[str, Callable[[], Sample]] = {
            "limit.sink": rate(limit.download, limit.pid),
            "ferry.sink": rate(ferry_sink, ferry.pid),
            "limit.file": rate(lambda: limit.download(to_file=True), limit.pid),
            "ferry.file": rate(ferry_file, ferry.pid, after=lambda: unlink_quietly(local / big.name)),
            "limit.file.fsync": rate(lambda: limit.download(to_file=True, fsync=True), limit.pid),
        }
        labels = {
            "limit.sink": ("limit: sendfile -> recv_into, discard", None),
            "ferry.sink": ("Ferry client.get_into -> discard", "limit.sink"),
            "limit.file": ("limit: sendfile -> recv_into + write", None),
            "ferry.file": ("Ferry client.get -> file", "limit.file"),
            "limit.file.fsync": ("limit: ... + write + fsync", "limit.file"),
        }
        ftp = start_peer(stack, results, "pyftpdlib RETR", FtpServer(serve, "async"))
        if ftp:

            def ftp_retr() -> int:
                with ftp.connect() as session:
                    session.retrbinary(f"RETR {big.name}", lambda block: None, blocksize=1 << 20)
                return plan.bulk_size

            c["ftp.retr"] = rate(ftp_retr, ftp.pid)
            labels["ftp.retr"] = ("pyftpdlib async RETR -> ftplib (1 MiB blocks)", "limit.sink")
        try:
            ensure_program("curl", "curl")
            http_peers = [
                ("nginx", Nginx(serve, ws.folder("nginx")), "nginx -> curl -o /dev/null"),
                ("httpserver", HttpServer(serve), "python -m http.server -> curl"),
            ]
        except PeerUnavailable as exc:
            results.skip("curl peers", str(exc))
            http_peers = []
        for key, server, label in http_peers:
            started = start_peer(stack, results, label, server)
            if started:
                c[key] = rate(lambda port=started.port: (curl_download(port, big.name), plan.bulk_size)[1], started.pid)
                labels[key] = (label, "limit.sink")
        print(f"  {len(c)} contenders x {plan.bulk_reps} rounds", flush=True)
        samples = interleave(c, plan.bulk_reps)
    for key, runs in samples.items():
        label, baseline = labels[key]
        results.add(
            Figure(f"download.{key}", section, label, "MiB/s", runs, baseline=baseline and f"download.{baseline}", extra=cpu_cost(runs))
        )


def uploads(plan: Plan, ws: Workspace, results: Results) -> None:
    big = source_file(plan, ws)
    scratch = ws.folder("scratch")
    sha256 = file_sha256(big)
    section = f"upload {plan.bulk_size // MiB} MiB"
    with ExitStack() as stack:
        limit = LimitPair(big, scratch).start()
        stack.callback(limit.stop)
        durable_root, fast_root, ftp_root = ws.folder("up-fsync"), ws.folder("up-nofsync"), ws.folder("up-ftp")
        durable = start_peer(stack, results, "Ferry", FerryServer(durable_root))
        fast = start_peer(stack, results, "Ferry --no-fsync", FerryServer(fast_root, "--no-fsync"))

        def library_put(server: FerryServer) -> Callable[[], int]:
            def run() -> int:
                with server.connect() as client:
                    return client.put(big, name="up.bin", overwrite=True).size

            return run

        def probe(server: FerryServer) -> Callable[[], int]:
            def run() -> int:
                with server.connect() as client:
                    return probe_put(client, big, "up.bin", sha256)

            return run

        # Every round stores a new file, removed after it, untimed. Replacing a file
        # would make ext4 start writing the new one back at once (auto_da_alloc, on
        # Ferry's rename as on pyftpdlib's O_TRUNC), which the limit's fresh file
        # never pays: about 0.4 s per GiB on this disk.
        def fresh(folder: Path) -> Callable[[], None]:
            return lambda: unlink_quietly(folder / "up.bin")

        c = {
            "limit.fsync": rate(lambda: limit.upload(fsync=True), limit.pid),
            "ferry.fsync": rate(probe(durable), durable.pid, after=fresh(durable_root)),
            "ferry.lib.fsync": rate(library_put(durable), durable.pid, after=fresh(durable_root)),
            "limit.nofsync": rate(lambda: limit.upload(fsync=False), limit.pid),
            "ferry.nofsync": rate(probe(fast), fast.pid, after=fresh(fast_root)),
            "ferry.lib.nofsync": rate(library_put(fast), fast.pid, after=fresh(fast_root)),
        }
        labels = {
            "limit.fsync": ("limit: sendfile -> recv_into + write + fsync", None),
            "ferry.fsync": ("Ferry put, sha256 sent (server fsyncs)", "limit.fsync"),
            "ferry.lib.fsync": ("Ferry client.put incl. client hashing (fsync)", "limit.fsync"),
            "limit.nofsync": ("limit: sendfile -> recv_into + write", None),
            "ferry.nofsync": ("Ferry put, sha256 sent, --no-fsync", "limit.nofsync"),
            "ferry.lib.nofsync": ("Ferry client.put incl. client hashing, --no-fsync", "limit.nofsync"),
        }
        ftp = start_peer(stack, results, "pyftpdlib STOR", FtpServer(ftp_root, "async"))
        if ftp:

            def ftp_stor() -> int:
                with ftp.connect() as session, open(big, "rb") as f:
                    session.storbinary("STOR up.bin", f, blocksize=1 << 20)
                return plan.bulk_size

            c["ftp.stor"] = rate(ftp_stor, ftp.pid, after=fresh(ftp_root))
            labels["ftp.stor"] = ("pyftpdlib async STOR <- ftplib (no fsync)", "limit.nofsync")
        print(f"  {len(c)} contenders x {plan.bulk_reps} rounds", flush=True)
        samples = interleave(c, plan.bulk_reps)
    for key, runs in samples.items():
        label, baseline = labels[key]
        results.add(
            Figure(f"upload.{key}", section, label, "MiB/s", runs, baseline=baseline and f"upload.{baseline}", extra=cpu_cost(runs))
        )
    os.sync()
